// uPlot time-series charts that size themselves to their container and say how many
// points they hold in the container's data-points attribute (what the browser test
// reads; the canvas itself is opaque to it).
import uPlot from './vendor/uPlot.esm.js';
import * as fmt from './format.js';

const HEIGHT = 220;

// Series colours, in order; readable on white and told apart without the legend.
export const COLORS = ['#2563eb', '#dc2626', '#16a34a', '#d97706', '#7c3aed', '#0891b2'];

// A chart in `container` (emptied). series: [{label, color?, fill?, scale?, value?(u, v, si, i)}];
// axes: optional y axes after the time axis, e.g. [{scale: 'y', values: fmt}].
export function timeChart(container, { series, axes, title }) {
  container.replaceChildren();
  container.classList.add('chart');
  const width = () => Math.max(300, Math.floor(container.clientWidth || 600));
  const opts = {
    title,
    width: width(),
    height: HEIGHT,
    cursor: { drag: { x: true, y: false } },
    scales: { x: { time: true } },
    series: [
      {},
      ...series.map((s, i) => ({
        label: s.label,
        stroke: s.color || COLORS[i % COLORS.length],
        fill: s.fill,
        width: 1.5,
        scale: s.scale || 'y',
        value: s.value || ((u, v) => (v === null || v === undefined ? '–' : fmt.int(v))),
        spanGaps: false,
      })),
    ],
    axes: [
      {},
      ...(axes || [{ scale: 'y' }]).map((a, i) => ({
        scale: a.scale || 'y',
        side: i === 0 ? 3 : 1,
        grid: { show: i === 0 },
        size: 70,
        values: a.values ? (u, vals) => vals.map(a.values) : undefined,
        label: a.label,
      })),
    ],
  };
  const empty = [[], ...series.map(() => [])];
  const plot = new uPlot(opts, empty, container);
  container.dataset.points = '0';

  // Follow the container's width (the layout may change after the first paint).
  let ro = null;
  if (typeof ResizeObserver !== 'undefined') {
    ro = new ResizeObserver(() => {
      const w = width();
      if (Math.abs(w - plot.width) > 2) plot.setSize({ width: w, height: HEIGHT });
    });
    ro.observe(container);
  }

  return {
    // data: [xs (epoch seconds), ...one array per series]
    setData(data) {
      plot.setData(data);
      container.dataset.points = String(data[0].length);
    },
    destroy() {
      if (ro) ro.disconnect();
      plot.destroy();
    },
  };
}

// Keeps the last `max` entries of an array in place (charts are bounded).
export function trim(arr, max) {
  if (arr.length > max) arr.splice(0, arr.length - max);
  return arr;
}
