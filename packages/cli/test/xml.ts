// A small XML well-formedness check for the SVG the CLI writes.

/** Throws unless `xml` is one well-formed element tree (no DTD, no CDATA: what we write). */
export function checkXml(xml: string): { elements: Map<string, number> } {
  const stack: string[] = [];
  const elements = new Map<string, number>();
  const tag = /<(\/?)([a-zA-Z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>/g;
  let at = 0;
  for (let m = tag.exec(xml); m; m = tag.exec(xml)) {
    if (/[<>]/.test(xml.slice(at, m.index))) throw new Error(`stray < or > before ${m.index}`);
    at = m.index + m[0].length;
    const [, close, name, , selfClose] = m;
    if (close) {
      if (stack.pop() !== name) throw new Error(`</${name}> closes the wrong element`);
    } else {
      elements.set(name, (elements.get(name) ?? 0) + 1);
      if (!selfClose) stack.push(name);
    }
  }
  if (stack.length > 0 || /[<>]/.test(xml.slice(at))) throw new Error(`unclosed: ${stack}`);
  return { elements };
}

