/**
 * An NVT's <tags> text, "cvss_base_vector=…|summary=…|insight=…|solution=…", as a map. Values may
 * hold a '|' of their own, so only a '|' followed by "name=" starts the next tag.
 */
export function nvtTags(text: string): Map<string, string> {
  const tags = new Map<string, string>();
  for (const part of text.trim().split(/\|(?=[A-Za-z_]+=)/)) {
    const equals = part.indexOf('=');
    if (equals > 0) tags.set(part.slice(0, equals), part.slice(equals + 1));
  }
  return tags;
}
