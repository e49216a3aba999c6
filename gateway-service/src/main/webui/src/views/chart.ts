// A small SVG line chart of an optimization's scores: best so far and the latest evaluation/trial, per progress
// event that carried a score (0–100 %). Built with DOM calls, no library.
import { h } from '../dom';

const SVG = 'http://www.w3.org/2000/svg';
const WIDTH = 320;
const HEIGHT = 120;
const PAD = 6;

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attributes: Record<string, string | number>):
SVGElementTagNameMap[K] {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) {
    element.setAttribute(name, String(value));
  }
  return element;
}

export class ScoreChart {
  readonly element: HTMLElement;
  private readonly svgRoot = svg('svg', { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: 'img', class: 'score-chart' });
  private readonly best = svg('polyline', { class: 'best', fill: 'none' });
  private readonly current = svg('polyline', { class: 'current', fill: 'none' });
  private readonly caption = h('figcaption', { className: 'muted' });
  private points: { current: number | null; best: number | null }[] = [];

  constructor() {
    for (const y of [0, 50, 100]) {
      const at = this.y(y);
      this.svgRoot.append(svg('line', { x1: PAD, x2: WIDTH - PAD, y1: at, y2: at, class: 'grid' }));
    }
    this.svgRoot.append(this.current, this.best);
    const figure = h('figure', { className: 'chart', hidden: true });
    figure.append(this.svgRoot, this.caption);
    this.element = figure;
  }

  add(current: number | null | undefined, best: number | null | undefined): void {
    const c = typeof current === 'number' ? current : null;
    const b = typeof best === 'number' ? best : null;
    if (c === null && b === null) {
      return;
    }
    this.points.push({ current: c, best: b });
    this.draw();
  }

  reset(): void {
    this.points = [];
    this.element.hidden = true;
    this.best.setAttribute('points', '');
    this.current.setAttribute('points', '');
  }

  private draw(): void {
    this.element.hidden = false;
    const n = this.points.length;
    const x = (i: number) => (n <= 1 ? WIDTH / 2 : PAD + (i * (WIDTH - 2 * PAD)) / (n - 1));
    const line = (pick: (p: { current: number | null; best: number | null }) => number | null) => this.points
      .map((p, i) => [i, pick(p)] as const)
      .filter((entry): entry is readonly [number, number] => entry[1] !== null)
      .map(([i, v]) => `${x(i).toFixed(1)},${this.y(v).toFixed(1)}`).join(' ');
    this.best.setAttribute('points', line((p) => p.best));
    this.current.setAttribute('points', line((p) => p.current));
    const last = this.points[n - 1];
    const text = `Scores over ${n} step${n === 1 ? '' : 's'}: best ${fmt(last?.best)} (solid), current ${fmt(last?.current)} (dashed)`;
    this.svgRoot.setAttribute('aria-label', text);
    this.caption.textContent = text;
    this.element.dataset.points = String(n);
  }

  private y(score: number): number {
    const clamped = Math.max(0, Math.min(100, score));
    return HEIGHT - PAD - (clamped / 100) * (HEIGHT - 2 * PAD);
  }
}

function fmt(value: number | null | undefined): string {
  return typeof value === 'number' ? `${value.toFixed(1)} %` : '—';
}
