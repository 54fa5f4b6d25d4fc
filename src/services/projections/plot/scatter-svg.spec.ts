import sharp from 'sharp';
import { escapeXml, scatterSvg } from './scatter-svg';

describe('scatterSvg', () => {
  const points = [
    { x: 0, y: 0, cluster: 0 },
    { x: 1, y: 1, cluster: 0 },
    { x: 10, y: 10, cluster: 1 },
  ];

  it('should escape markup in titles and labels', () => {
    expect(escapeXml(`<a href="x">'&'</a>`)).toBe('&#60;a href=&#34;x&#34;&#62;&#39;&#38;&#39;&#60;/a&#62;');
    const svg = scatterSvg({
      title: 'UMAP <script>alert(1)</script>',
      points,
      clusters: [
        { id: 0, size: 2, terms: ['cats & dogs'] },
        { id: 1, size: 1, terms: ['"quoted"'] },
      ],
    });
    expect(svg).not.toContain('<script>');
    expect(svg).toContain('UMAP &#60;script&#62;');
    expect(svg).toContain('cats &#38; dogs (2)');
  });

  it('should draw one coloured circle per point, scaled into the plot area, and a legend entry per cluster', () => {
    const svg = scatterSvg({
      title: 't',
      points,
      clusters: [
        { id: 0, size: 2, terms: ['a'] },
        { id: 1, size: 1, terms: ['b'] },
      ],
    });
    const circles = [...svg.matchAll(/<circle cx="([\d.]+)" cy="([\d.]+)" r="4" fill="(#\w+)"/g)];
    expect(circles).toHaveLength(3);
    expect(circles[0][3]).toBe(circles[1][3]);
    expect(circles[2][3]).not.toBe(circles[0][3]);
    // Higher y is drawn higher up (smaller SVG y).
    expect(Number(circles[2][2])).toBeLessThan(Number(circles[0][2]));
    expect(svg.match(/r="6"/g)).toHaveLength(2);
  });

  it('should render to a PNG with sharp', async () => {
    const png = await sharp(Buffer.from(scatterSvg({ title: 'PCA · 3 points', points })))
      .png()
      .toBuffer();
    const meta = await sharp(png).metadata();
    expect(meta).toMatchObject({ format: 'png', width: 960, height: 720 });
  });
});
