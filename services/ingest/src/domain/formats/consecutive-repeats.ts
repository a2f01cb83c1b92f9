import {
  assetOf,
  type EmittedFinding,
  type ParsedFinding,
  type ParsedVulnerability,
} from '../report-model.ts';
import type { FindingsSink, ReadOutcome } from './report-format.ts';

/** q2h's counting unit within one report (the finding key without tenant and source). */
const keyOf = (f: ParsedFinding) => `${assetOf(f)}|${f.vulnKey}|${f.port ?? ''}|${f.protocol}`;

/**
 * Makes one finding of consecutive findings with the same asset, plugin, port and protocol: their
 * distinct outputs joined, their CVEs united. Nessus writes such repeats next to each other (the CSV
 * export's row per CVE; a plugin reporting twice on one port, as 58987 in nessus_with_cvssv3.nessus
 * and 22964 in nessus_many_vuln2-default.csv), so holding back only the last finding is enough and
 * memory stays bounded. A repeat that is not next to its first is passed on as a finding of its own.
 */
export class ConsecutiveRepeats implements FindingsSink {
  private held: HeldFinding | undefined;

  constructor(private readonly sink: FindingsSink) {}

  accept(findings: readonly EmittedFinding[], bytesDone: number): Promise<'continue' | 'stop'> {
    const ready: EmittedFinding[] = [];
    for (const emitted of findings) {
      const key = keyOf(emitted.finding);
      if (this.held?.key === key) this.held.absorb(emitted);
      else {
        if (this.held) ready.push(this.held.merged());
        this.held = new HeldFinding(key, emitted);
      }
    }
    return ready.length === 0 ? Promise.resolve('continue') : this.sink.accept(ready, bytesDone);
  }

  /** Hands on the finding still held once the read went through; a failed or stopped read keeps it. */
  async finish(outcome: ReadOutcome): Promise<ReadOutcome> {
    if (outcome.kind !== 'ok' || !this.held) return outcome;
    const last = this.held.merged();
    this.held = undefined;
    return (await this.sink.accept([last], outcome.bytes)) === 'stop' ? { kind: 'stopped' } : outcome;
  }
}

class HeldFinding {
  private readonly outputs: string[] = [];
  private readonly repeatCves = new Set<string>();
  private repeats = 0;

  constructor(
    readonly key: string,
    private readonly first: EmittedFinding,
  ) {
    if (first.finding.results) this.outputs.push(first.finding.results);
  }

  absorb(repeat: EmittedFinding): void {
    this.repeats++;
    const output = repeat.finding.results;
    if (output && !this.outputs.includes(output)) this.outputs.push(output);
    for (const cve of repeat.vulnerability().cves) this.repeatCves.add(cve);
  }

  merged(): EmittedFinding {
    if (this.repeats === 0) return this.first;
    const { finding, vulnerability } = this.first;
    return {
      finding: { ...finding, results: this.outputs.join('\n\n') },
      vulnerability: withCves(vulnerability, this.repeatCves),
    };
  }
}

/**
 * The first finding's vulnerability with the repeats' CVEs added. Made here, not as a closure inside
 * merged(): tsx names every function created per finding with a defineProperty (see fieldText in
 * csv-records.ts).
 */
function withCves(
  vulnerability: () => ParsedVulnerability,
  repeatCves: ReadonlySet<string>,
): () => ParsedVulnerability {
  return () => {
    const first = vulnerability();
    return { ...first, cves: [...new Set([...first.cves, ...repeatCves])] };
  };
}
