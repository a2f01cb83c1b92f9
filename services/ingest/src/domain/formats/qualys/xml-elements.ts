import type { SaxesTagPlain, XmlHandlers } from '../xml-stream.ts';

const PROLOG_ITEM = /^\s*(?:<\?[\s\S]*?\?>|<!--[\s\S]*?-->|<!DOCTYPE[^>[]*(?:\[[\s\S]*?\])?\s*>)/;

/** The name of a document's root element, read past the XML declaration, comments and DOCTYPE. */
export function xmlRootName(text: string): string | undefined {
  let rest = text;
  for (let item = PROLOG_ITEM.exec(rest); item; item = PROLOG_ITEM.exec(rest)) {
    rest = rest.slice(item[0].length);
  }
  return /^\s*<([A-Za-z_][\w.:-]*)/.exec(rest)?.[1];
}

/** A format's view of the document: each element with its ancestors, and its text when it closes. */
export interface ElementEvents {
  /** `path`: the names from the root down to this element, included; `line`: where its start tag is. */
  open?(tag: SaxesTagPlain, path: readonly string[], line: number): void;
  /** `path`: the names of its ancestors; `text`: its own text (an element with children: whitespace). */
  close(name: string, text: string, path: readonly string[]): void;
  end?: XmlHandlers['end'];
}

/**
 * Turns readXml's callbacks into element events with their path and text. The line of a start tag is
 * counted from the text seen so far (readXml hands no position to formats): exact for Qualys's own
 * files, whose tags, comments and DOCTYPE each sit on one line.
 */
export function elementEvents(events: ElementEvents): XmlHandlers {
  const path: string[] = [];
  let text = '';
  let line = 1;
  return {
    open(tag) {
      path.push(tag.name);
      text = '';
      events.open?.(tag, path, line);
    },
    text(piece) {
      text += piece;
      for (let at = piece.indexOf('\n'); at !== -1; at = piece.indexOf('\n', at + 1)) line++;
    },
    close(name) {
      path.pop();
      events.close(name, text, path);
      text = '';
    },
    ...(events.end ? { end: events.end } : {}),
  };
}
