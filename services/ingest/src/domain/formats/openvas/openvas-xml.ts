import { type Cvss, NO_CVSS, withCvss } from '../cvss.ts';
import type { ReportFormat } from '../report-format.ts';
import { readXml, type SaxesTagPlain, type XmlContext, type XmlHandlers } from '../xml-stream.ts';
import { nvtTags } from './nvt-tags.ts';
import { epssOf, greenboneDate, openvasFinding, portAndProtocol, toNumber } from './openvas-result.ts';

/** A Greenbone report document: a bare <report> (nested or not) or a GMP <get_reports_response>. */
const REPORT_ROOT = /^\s*(?:<\?xml[^>]*\?>\s*)?(?:<!--[\s\S]*?-->\s*)*<(?:get_reports_response|report)[\s>/]/;
/** Elements only Greenbone reports have near their start (other scanners also name a root "report"). */
const GREENBONE_MARK = /<(?:gmp|omp|scan_run_status|result_count)>|<nvt\s+oid=/;

export function isGreenboneReport(text: string): boolean {
  return REPORT_ROOT.test(text) && GREENBONE_MARK.test(text);
}

/** Texts q2h reads from a result, by their path below <result>. */
const TEXTS = new Set([
  'name',
  'creation_time',
  'host',
  'host/hostname',
  'port',
  'threat',
  'severity',
  'description',
  'nvt/name',
  'nvt/family',
  'nvt/cvss_base',
  'nvt/tags',
  'nvt/solution',
  'nvt/severities/severity/score',
  'nvt/severities/severity/value',
  'nvt/epss/max_severity/score',
]);

/** The report result being read: its texts by path, and what its attributes said. */
class ResultBeingRead {
  readonly texts = new Map<string, string>();
  oid = '';
  readonly cves: string[] = [];
  readonly references: string[] = [];
  /** From <severities> (GMP 20.08+): one score and vector per CVSS version. */
  severities: Cvss | undefined;

  constructor(readonly line: number) {}

  text(path: string): string {
    return this.texts.get(path)?.trim() ?? '';
  }

  /** Keeps one <severities>/<severity> and clears its texts for the next one. */
  endSeverity(): void {
    const score = toNumber(this.text('nvt/severities/severity/score'));
    this.severities = withCvss(this.severities ?? NO_CVSS, score, this.text('nvt/severities/severity/value'));
    this.texts.delete('nvt/severities/severity/score');
    this.texts.delete('nvt/severities/severity/value');
  }

  /** The NVT's CVSS: <severities> when given, else cvss_base with the tags' vector (v2 without one, GMP 9). */
  cvss(tags: Map<string, string>): Cvss {
    if (this.severities) return this.severities;
    const score = toNumber(this.text('nvt/cvss_base'));
    return score === null ? NO_CVSS : withCvss(NO_CVSS, score, tags.get('cvss_base_vector')?.trim() ?? '');
  }
}

/**
 * Reads the results of a report: <result> elements whose parent is a report's <results>. Results
 * nested elsewhere (a delta report's <delta><result>, the result a <note> or <override> points to)
 * are parts of the result being read, never findings of their own.
 */
function reportResults(context: XmlContext): XmlHandlers {
  const names: string[] = [];
  let result: ResultBeingRead | undefined;
  /** Paths below <result> of the open elements, '' for the result itself. */
  const paths: string[] = [];

  const open = (tag: SaxesTagPlain) => {
    names.push(tag.name);
    if (!result) {
      const depth = names.length;
      if (tag.name === 'result' && names[depth - 2] === 'results' && names[depth - 3] === 'report') {
        result = new ResultBeingRead(context.line());
        paths.push('');
      }
      return;
    }
    const parent = paths[paths.length - 1];
    const path = parent ? `${parent}/${tag.name}` : tag.name;
    paths.push(path);
    if (path === 'nvt') result.oid = attribute(tag, 'oid');
    else if (path === 'nvt/refs/ref') {
      const id = attribute(tag, 'id');
      if (attribute(tag, 'type').toLowerCase() === 'cve') result.cves.push(id);
      else if (id) result.references.push(id);
    }
  };

  const close = () => {
    names.pop();
    if (!result) return;
    const path = paths.pop();
    if (path === 'nvt/severities/severity') result.endSeverity();
    else if (path === '') {
      emit(result, context);
      result = undefined;
    }
  };

  return {
    open,
    text(text) {
      const path = paths[paths.length - 1];
      if (result && path !== undefined && TEXTS.has(path)) {
        result.texts.set(path, (result.texts.get(path) ?? '') + text);
      }
    },
    close,
  };
}

function emit(result: ResultBeingRead, context: XmlContext): void {
  const tags = nvtTags(result.texts.get('nvt/tags') ?? '');
  const read = openvasFinding(
    {
      host: result.text('host'),
      hostname: result.text('host/hostname'),
      ...portAndProtocol(result.text('port')),
      threat: result.text('threat'),
      score: result.text('severity'),
      oid: result.oid,
      // many_vuln.xml: the result's <name> is an anonymised placeholder; the NVT's name is the title.
      title: result.text('nvt/name') || result.text('name'),
      family: result.text('nvt/family'),
      cves: result.cves,
      references: result.references,
      cvss: result.cvss(tags),
      summary: nvtTag(tags, 'summary'),
      insight: nvtTag(tags, 'insight'),
      impact: nvtTag(tags, 'impact'),
      // GMP 20.08+ moved the solution out of the tags into <solution>.
      solution: result.text('nvt/solution') || nvtTag(tags, 'solution'),
      output: result.texts.get('description') ?? '',
      detectedAt: greenboneDate(result.text('creation_time')),
      epss: epssOf(result.text('nvt/epss/max_severity/score')),
    },
    result.line,
  );
  if (read.kind === 'finding') context.emit(read);
  else if (read.kind === 'invalid') context.fail(read.reason);
}

/**
 * An NVT tag's text, trimmed; '' when the NVT has none. A module function, not a closure made per
 * result: tsx names every function created at run time with a defineProperty (see fieldText in
 * csv-records.ts).
 */
function nvtTag(tags: Map<string, string>, name: string): string {
  return tags.get(name)?.trim() ?? '';
}

function attribute(tag: SaxesTagPlain, name: string): string {
  return tag.attributes[name]?.trim() ?? '';
}

/** OpenVAS / Greenbone XML report (GSA download or GMP get_reports): one finding per report result. */
export const openvasXml: ReportFormat = {
  dialect: 'openvas-xml',
  label: 'OpenVAS / Greenbone report (XML)',
  recognises: (head) => isGreenboneReport(head.text),
  read: (source, sink) => readXml(source, reportResults, sink),
};
