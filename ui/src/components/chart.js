// Charts drawn from a query's `render` operator, as SVG: timechart, linechart, areachart,
// scatterchart, columnchart, barchart and piechart, with the title, xtitle, ytitle, series,
// xcolumn, ycolumns, kind (stacked, stacked100, unstacked) and legend properties.
// Series follow Kusto's rules: x is `xcolumn` or the first column (the first datetime column for
// a timechart), y the numeric columns (or `ycolumns`), and the other string columns (or
// `series`) split the rows into one series per distinct value.
import { h, s } from '../dom.js';

const PALETTE = ['#0b62a4', '#d95f02', '#1b7837', '#7b3294', '#b2182b', '#35978f', '#8c510a', '#4d4d4d', '#c51b7d', '#2166ac'];
const NUMERIC = new Set(['int', 'long', 'real', 'decimal']);
const W = 800;
const H = 380;
const BASE = { top: 40, right: 48, bottom: 56, left: 72 };
let M = BASE; // the margins of the chart being drawn (chart() sets them: labels need room)

const list = (v) => (v ? String(v).split(',').map((x) => x.trim()).filter(Boolean) : null);

/** {x: {name, type}, series: [{name, points: [[x, y]]}]} from a result table and render props. */
export function seriesOf(table, props) {
  const cols = table.columns.map((c, i) => ({ ...c, i }));
  const byName = (n) => cols.find((c) => c.name === n);
  const vis = props.visualization;
  let x = props.xcolumn && byName(props.xcolumn);
  if (!x && vis === 'timechart') x = cols.find((c) => c.type === 'datetime');
  if (!x && vis === 'piechart') x = cols.find((c) => !NUMERIC.has(c.type));
  x = x || cols[0];
  const ys = (list(props.ycolumns) || []).map(byName).filter(Boolean);
  const yCols = ys.length ? ys : cols.filter((c) => c !== x && NUMERIC.has(c.type));
  const given = (list(props.series) || []).map(byName).filter(Boolean);
  const splits = given.length ? given : cols.filter((c) => c !== x && !yCols.includes(c) && !NUMERIC.has(c.type));
  const series = new Map();
  for (const row of table.rows) {
    const key = splits.map((c) => String(row[c.i] ?? '')).join(', ');
    for (const y of yCols) {
      const name = key && yCols.length > 1 ? `${key}:${y.name}` : key || y.name;
      if (!series.has(name)) series.set(name, []);
      series.get(name).push([row[x.i], row[y.i] === null ? null : Number(row[y.i])]);
    }
  }
  return { x, series: [...series].map(([name, points]) => ({ name, points })) };
}

function xValue(v, type) {
  if (type === 'datetime') return new Date(v).getTime();
  return Number(v);
}

function niceTicks(lo, hi, count = 5) {
  if (lo === hi) return [lo];
  const step0 = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(step0));
  const step = [1, 2, 5, 10].map((f) => f * mag).find((st) => st >= step0) || mag * 10;
  const ticks = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) ticks.push(Number(t.toPrecision(12)));
  return ticks;
}

function fmt(v) {
  if (Math.abs(v) >= 1e6) return `${(v / 1e6).toPrecision(3)}M`;
  if (Math.abs(v) >= 1e4) return `${(v / 1e3).toPrecision(3)}K`;
  return String(Number(v.toPrecision(6)));
}

function fmtTime(ms, span) {
  const d = new Date(ms);
  const iso = d.toISOString();
  return span > 2 * 86400000 ? iso.slice(5, 10) : iso.slice(5, 16).replace('T', ' ');
}

function frame(title, xtitle, ytitle, label) {
  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': label, class: 'chart-svg' });
  svg.append(s('title', {}, label));
  if (title) svg.append(s('text', { x: W / 2, y: 22, 'text-anchor': 'middle', class: 'chart-title' }, title));
  if (xtitle) svg.append(s('text', { x: M.left + (W - M.left - M.right) / 2, y: H - 8, 'text-anchor': 'middle', class: 'axis-title x-title' }, xtitle));
  if (ytitle) {
    const cy = M.top + (H - M.top - M.bottom) / 2;
    svg.append(s('text', { x: 16, y: cy, transform: `rotate(-90 16 ${cy})`, 'text-anchor': 'middle', class: 'axis-title y-title' }, ytitle));
  }
  return svg;
}

function stackValues(series, mode) {
  // stacked: each series sits on the sum of the ones before it, per x; stacked100: as shares
  if (mode !== 'stacked' && mode !== 'stacked100') return series.map((sr) => sr.points.map(([x, y]) => [x, 0, y ?? 0]));
  const totals = new Map();
  for (const sr of series) for (const [x, y] of sr.points) totals.set(String(x), (totals.get(String(x)) || 0) + (y || 0));
  const base = new Map();
  return series.map((sr) =>
    sr.points.map(([x, y]) => {
      const k = String(x);
      let v = y || 0;
      if (mode === 'stacked100') v = totals.get(k) ? (100 * v) / totals.get(k) : 0;
      const b = base.get(k) || 0;
      base.set(k, b + v);
      return [x, b, b + v];
    }),
  );
}

function yAxis(svg, ticks, scaleY, horizontal, scaleX) {
  const g = s('g', { class: 'axis y-axis' });
  for (const t of ticks) {
    if (horizontal) {
      const px = scaleX(t);
      g.append(s('line', { x1: px, x2: px, y1: M.top, y2: H - M.bottom, class: 'gridline' }));
      g.append(s('text', { x: px, y: H - M.bottom + 16, 'text-anchor': 'middle' }, fmt(t)));
    } else {
      const py = scaleY(t);
      g.append(s('line', { x1: M.left, x2: W - M.right, y1: py, y2: py, class: 'gridline' }));
      g.append(s('text', { x: M.left - 8, y: py + 4, 'text-anchor': 'end' }, fmt(t)));
    }
  }
  svg.append(g);
}

function xyChart(svg, vis, x, series, mode) {
  const stacked = stackValues(series, vis === 'areachart' || vis === 'columnchart' || vis === 'barchart' ? mode : 'none');
  const all = stacked.flat();
  const numericX = x.type === 'datetime' || NUMERIC.has(x.type);
  const bars = vis === 'columnchart' || vis === 'barchart' || !numericX;
  const cats = [...new Set(series.flatMap((sr) => sr.points.map((p) => String(p[0]))))];
  const xs = numericX && !bars ? all.map((p) => xValue(p[0], x.type)) : [];
  const xlo = Math.min(...xs);
  const xhi = Math.max(...xs);
  const dataLo = Math.min(0, ...all.map((p) => Math.min(p[1], p[2])));
  const dataHi = Math.max(1, ...all.map((p) => p[2]));
  const ticks = niceTicks(dataLo, dataHi); // the axis ends on a tick at or above the data
  if (ticks.length > 1 && ticks[ticks.length - 1] < dataHi) ticks.push(ticks[ticks.length - 1] + ticks[1] - ticks[0]);
  const ylo = Math.min(dataLo, ticks[0]);
  const yhi = ticks[ticks.length - 1];
  const plotW = W - M.left - M.right;
  const plotH = H - M.top - M.bottom;
  const horizontal = vis === 'barchart';
  const valueScale = horizontal ? (v) => M.left + ((v - ylo) / (yhi - ylo)) * plotW : (v) => M.top + plotH - ((v - ylo) / (yhi - ylo)) * plotH;
  const posScale = (v) => M.left + (xhi === xlo ? plotW / 2 : ((v - xlo) / (xhi - xlo)) * plotW);
  yAxis(svg, ticks, valueScale, horizontal, valueScale);
  const g = s('g', { class: 'x-axis axis' });
  if (bars) {
    const band = (horizontal ? plotH : plotW) / Math.max(1, cats.length);
    const grouped = mode !== 'stacked' && mode !== 'stacked100';
    const inner = grouped ? band * 0.8 / Math.max(1, series.length) : band * 0.8;
    const step = Math.max(1, Math.ceil(cats.length / (horizontal ? 16 : 24)));
    cats.forEach((c, i) => {
      if (i % step) return;
      const label = short(catLabel(c, x.type));
      if (horizontal) {
        g.append(s('text', { x: M.left - 6, y: M.top + band * (i + 0.5) + 4, 'text-anchor': 'end' }, label));
      } else {
        const cx = M.left + band * (i + 0.5);
        const cy = H - M.bottom + 14;
        g.append(s('text', { x: cx, y: cy, 'text-anchor': 'end', transform: `rotate(-35 ${cx} ${cy})` }, label));
      }
    });
    stacked.forEach((pts, si) => {
      const sg = s('g', { class: 'series', 'data-series': series[si].name, fill: PALETTE[si % PALETTE.length] });
      for (const [xv, b, t] of pts) {
        const ci = cats.indexOf(String(xv));
        const off = band * (ci + 0.1) + (grouped ? inner * si : 0);
        const [v0, v1] = [valueScale(b), valueScale(t)];
        const rect = horizontal
          ? { x: Math.min(v0, v1), y: M.top + off, width: Math.abs(v1 - v0), height: inner }
          : { x: M.left + off, y: Math.min(v0, v1), width: inner, height: Math.abs(v1 - v0) };
        sg.append(s('rect', rect, s('title', {}, `${series[si].name}: ${xv} = ${fmt(t - b)}`)));
      }
      svg.append(sg);
    });
  } else {
    for (const t of x.type === 'datetime' ? niceTimeTicks(xlo, xhi) : niceTicks(xlo, xhi, 8)) {
      g.append(s('text', { x: posScale(t), y: H - M.bottom + 16, 'text-anchor': 'middle' }, x.type === 'datetime' ? fmtTime(t, xhi - xlo) : fmt(t)));
    }
    stacked.forEach((pts, si) => {
      const color = PALETTE[si % PALETTE.length];
      const sorted = pts.map((p) => [xValue(p[0], x.type), p[1], p[2]]).sort((a, b) => a[0] - b[0]);
      const sg = s('g', { class: 'series', 'data-series': series[si].name });
      if (vis === 'scatterchart') {
        for (const [xv, , y] of sorted) sg.append(s('circle', { cx: posScale(xv), cy: valueScale(y), r: 3.5, fill: color }));
      } else {
        const line = sorted.map(([xv, , y], i) => `${i ? 'L' : 'M'}${posScale(xv).toFixed(1)},${valueScale(y).toFixed(1)}`).join('');
        if (vis === 'areachart' && sorted.length) {
          const back = sorted.slice().reverse().map(([xv, b]) => `L${posScale(xv).toFixed(1)},${valueScale(b).toFixed(1)}`).join('');
          sg.append(s('path', { d: `${line}${back}Z`, fill: color, 'fill-opacity': 0.35, stroke: 'none' }));
        }
        sg.append(s('path', { d: line, fill: 'none', stroke: color, 'stroke-width': 2 }));
      }
      svg.append(sg);
    });
  }
  svg.append(g);
  svg.append(s('line', { x1: M.left, x2: W - M.right, y1: H - M.bottom, y2: H - M.bottom, class: 'axis-line' }));
  svg.append(s('line', { x1: M.left, x2: M.left, y1: M.top, y2: H - M.bottom, class: 'axis-line' }));
}

const LABEL = 24; // characters of a category label drawn (the full one is in the grid)

function catLabel(c, type) {
  return type === 'datetime' ? new Date(c).toISOString().slice(0, 10) : String(c);
}

function short(text) {
  return text.length > LABEL ? `${text.slice(0, LABEL - 1)}\u2026` : text;
}

/** Margins for this chart: room for category labels (left of bars, under columns). */
function margins(vis, table, x) {
  if (vis !== 'barchart' && vis !== 'columnchart') return BASE;
  const at = table.columns.indexOf(table.columns.find((c) => c.name === x.name));
  const longest = Math.max(4, ...table.rows.map((r) => short(catLabel(r[at], x.type)).length));
  return vis === 'barchart'
    ? { ...BASE, left: Math.min(220, 36 + longest * 7) }
    : { ...BASE, bottom: Math.min(170, 40 + longest * 5) };
}

function niceTimeTicks(lo, hi) {
  const day = 86400000;
  const steps = [3600000, 3 * 3600000, 6 * 3600000, 12 * 3600000, day, 2 * day, 7 * day, 14 * day, 30 * day];
  const step = steps.find((st) => (hi - lo) / st <= 8) || 60 * day;
  const ticks = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi; t += step) ticks.push(t);
  return ticks;
}

function pieChart(svg, series) {
  const slices = series.length === 1 ? series[0].points.map(([x, y]) => ({ name: String(x), value: y || 0 })) : series.map((sr) => ({ name: sr.name, value: sr.points.reduce((a, p) => a + (p[1] || 0), 0) }));
  const total = slices.reduce((a, sl) => a + Math.max(0, sl.value), 0) || 1;
  const cx = W / 2;
  const cy = (H + M.top - 10) / 2;
  const r = Math.min(W, H - M.top) / 2 - 20;
  let angle = -Math.PI / 2;
  slices.forEach((sl, i) => {
    const a = (Math.max(0, sl.value) / total) * Math.PI * 2;
    const end = angle + a;
    const p0 = [cx + r * Math.cos(angle), cy + r * Math.sin(angle)];
    const p1 = [cx + r * Math.cos(end), cy + r * Math.sin(end)];
    const d = a >= Math.PI * 2 - 1e-9
      ? `M${cx - r},${cy}a${r},${r} 0 1,0 ${2 * r},0a${r},${r} 0 1,0 ${-2 * r},0`
      : `M${cx},${cy}L${p0[0]},${p0[1]}A${r},${r} 0 ${a > Math.PI ? 1 : 0},1 ${p1[0]},${p1[1]}Z`;
    const g = s('g', { class: 'series', 'data-series': sl.name });
    g.append(s('path', { d, fill: PALETTE[i % PALETTE.length], stroke: '#fff' }, s('title', {}, `${sl.name}: ${fmt(sl.value)} (${((100 * sl.value) / total).toFixed(1)}%)`)));
    svg.append(g);
    angle = end;
  });
  return slices.map((sl) => sl.name);
}

export const KINDS = ['timechart', 'linechart', 'areachart', 'scatterchart', 'columnchart', 'barchart', 'piechart'];

/** The chart element for `table` and its render properties, or a note when it cannot draw. */
export function chart(table, props) {
  const vis = props.visualization;
  if (!KINDS.includes(vis)) return h('p', { class: 'note' }, `The ${vis} visualization is not drawn here; see the results grid.`);
  const { x, series } = seriesOf(table, props);
  M = margins(vis, table, x);
  const label = props.title || `${vis} of ${series.map((sr) => sr.name).join(', ')}`;
  const svg = frame(props.title, props.xtitle ?? (vis === 'piechart' ? null : x.name), props.ytitle, label);
  if (!series.length || !table.rows.length) return h('p', { class: 'note' }, 'No numeric data to chart.');
  const names = vis === 'piechart' ? pieChart(svg, series) : (xyChart(svg, vis, x, series, props.kind || 'default'), series.map((sr) => sr.name));
  const legend = props.legend === 'hidden'
    ? null
    : h('ul', { class: 'legend', 'aria-label': 'Legend' }, names.map((n, i) => h('li', { class: 'legend-item' }, h('span', { class: 'swatch', style: { background: PALETTE[i % PALETTE.length] }, 'aria-hidden': 'true' }), n)));
  return h('figure', { class: `chart ${vis}`, 'data-visualization': vis }, svg, legend);
}
