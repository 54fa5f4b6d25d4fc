import { looksLikeSvg, svgExternalReference } from './svg-guard';

describe(svgExternalReference.name, () => {
  const svg = (body: string) => `<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">${body}</svg>`;

  it('should allow same-document references and data URIs', () => {
    expect(svgExternalReference(svg('<use href="#a"/><rect fill="url(#g)"/>'))).toBeUndefined();
    expect(svgExternalReference(svg('<image href="data:image/png;base64,AAAA"/>'))).toBeUndefined();
  });

  it.each([
    ['<image xlink:href="file:///etc/passwd"/>', 'xlink:href="file:///etc/passwd"'],
    ["<image href='http://169.254.169.254/'/>", 'href="http://169.254.169.254/"'],
    ['<rect style="fill:url(https://x.example/p.svg#a)"/>', 'url(https://x.example/p.svg#a)'],
    ['<style>@import "https://x.example/a.css";</style>', '@import'],
    ['<script>alert(1)</script>', '<script>'],
    ['<foreignObject><iframe src="x"/></foreignObject>', '<foreignObject>'],
  ])('should refuse %s', (body, named) => {
    expect(svgExternalReference(svg(body))).toContain(named);
  });

  it('should refuse entities and external DTDs (XXE, billion laughs)', () => {
    expect(svgExternalReference('<!DOCTYPE svg [<!ENTITY x "y">]><svg/>')).toContain('<!ENTITY');
    expect(svgExternalReference('<!DOCTYPE svg SYSTEM "http://x.example/svg.dtd"><svg/>')).toContain('external DTD');
  });
});

describe(looksLikeSvg.name, () => {
  it('should recognise SVG text with a prolog, comments and a BOM, and nothing else', () => {
    expect(looksLikeSvg('\uFEFF<?xml version="1.0"?>\n<!-- made by hand -->\n<svg width="1">')).toBe(true);
    expect(looksLikeSvg('<html><svg></svg></html>')).toBe(false);
    expect(looksLikeSvg('hello')).toBe(false);
  });
});
