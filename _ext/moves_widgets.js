/* Interactive figures of the chapter "How Adam moves" (chapters/moves.md).
 *
 * Each figure is a <div class="adam-widget"> whose first child is a <script type="application/json">
 * with everything it shows, computed when the book was built: this file only looks up the setting
 * chosen with the sliders and draws it with plotly.js, which the site serves itself
 * (_ext/interactive_figures.py copies it from the pinned `plotly` package). Nothing is fetched.
 */
(function () {
  "use strict";
  // Run once, even if a page should load this file twice.
  if (window.adamWidgetsLoaded) return;
  window.adamWidgetsLoaded = true;

  // Paths are int16 codes over [-box, box], little-endian, base64 (see `quantised` in the chapter).
  function decode(b64, box) {
    const bytes = atob(b64);
    const out = new Float64Array(bytes.length / 2);
    for (let i = 0; i < out.length; i++) {
      let code = bytes.charCodeAt(2 * i) | (bytes.charCodeAt(2 * i + 1) << 8);
      if (code >= 32768) code -= 65536;
      out[i] = (code / 32767) * box;
    }
    return out;
  }

  function ravel(indices, shape) {
    return indices.reduce((flat, index, axis) => flat * shape[axis] + index, 0);
  }

  // Points `first`..`first + count - 1` of a flat (..., step, 2) array as x and y lists.
  function xy(flat, first, count) {
    const x = [], y = [];
    for (let k = 0; k < count; k++) {
      x.push(flat[2 * (first + k)]);
      y.push(flat[2 * (first + k) + 1]);
    }
    return { x, y };
  }

  function format(value) {
    return Math.abs(value) >= 1000 ? value.toExponential(0).replace("e+", "e") : String(value);
  }

  function buildSliders(el, sliders, onChange) {
    const panel = document.createElement("div");
    panel.className = "adam-widget-sliders";
    panel.style.cssText = "display:flex;flex-wrap:wrap;gap:0.4em 1.5em;margin:0.5em 0;";
    const state = sliders.map((s) => s.default);
    sliders.forEach((s, i) => {
      const label = document.createElement("label");
      label.style.cssText = "display:flex;align-items:center;gap:0.5em;";
      const text = document.createElement("span");
      text.style.cssText = "min-width:9em;";
      const input = document.createElement("input");
      input.type = "range";
      input.min = "0";
      input.max = String(s.values.length - 1);
      input.step = "1";
      input.value = String(s.default);
      input.dataset.key = s.key;
      input.setAttribute("aria-label", s.label);
      const show = () => { text.textContent = `${s.label} = ${format(s.values[state[i]])}`; };
      input.addEventListener("input", () => {
        state[i] = Number(input.value);
        show();
        onChange(state);
      });
      show();
      label.append(text, input);
      panel.append(label);
    });
    el.append(panel);
    return state;
  }

  function baseLayout(el) {
    const fg = getComputedStyle(el).color;
    return {
      font: { color: fg, size: 13 },
      paper_bgcolor: "rgba(0,0,0,0)",
      plot_bgcolor: "rgba(0,0,0,0)",
      margin: { l: 60, r: 20, t: 40, b: 50 },
      legend: { bgcolor: "rgba(0,0,0,0)" },
      height: 480,
    };
  }

  function race(el, plot, data) {
    const T = data.steps + 1;
    const shape = data.sliders.map((s) => s.values.length);
    const adam = decode(data.adam, data.box);
    const reference = decode(data.reference, data.box);
    const key = Object.fromEntries(data.sliders.map((s, i) => [s.key, i]));
    const draw = (state) => {
      const kappa = data.sliders[key.kappa].values[state[key.kappa]];
      const degrees = data.sliders[key.angle].values[state[key.angle]];
      const phi = (degrees * Math.PI) / 180, c = Math.cos(phi), s = Math.sin(phi);
      // Level sets of eq-moves-quadratic: ellipses with semi-axes √(2f) and √(2f/κ), turned by φ.
      const cx = [], cy = [];
      for (let level = 0; level < 12; level++) {
        const f = 1e-2 * Math.pow(1e4 * kappa, level / 11);
        const a = Math.sqrt(2 * f), b = Math.sqrt((2 * f) / kappa);
        for (let k = 0; k <= 120; k++) {
          const u = a * Math.cos((2 * Math.PI * k) / 120), w = b * Math.sin((2 * Math.PI * k) / 120);
          cx.push(c * u - s * w);
          cy.push(s * u + c * w);
        }
        cx.push(null);
        cy.push(null);
      }
      const ik = state[key.kappa], ia = state[key.angle];
      const nk = shape[key.kappa], na = shape[key.angle];
      const gd = xy(reference, ((0 * nk + ik) * na + ia) * T, T);
      const hb = xy(reference, ((1 * nk + ik) * na + ia) * T, T);
      const ad = xy(adam, ravel(state, shape) * T, T);
      const last = Math.hypot(ad.x[T - 1], ad.y[T - 1]);
      const traces = [
        { x: cx, y: cy, mode: "lines", line: { color: "#999999", width: 0.7 },
          hoverinfo: "skip", showlegend: false },
        { x: gd.x, y: gd.y, name: "GD (tuned)", mode: "lines",
          line: { color: "#999999", dash: "dot", width: 1.2 } },
        { x: hb.x, y: hb.y, name: "heavy ball (tuned)", mode: "lines",
          line: { color: "#009E73", dash: "dash", width: 1.2 } },
        { x: ad.x, y: ad.y, name: "Adam", mode: "lines", line: { color: "#0072B2", width: 2.5 } },
        { x: [ad.x[0]], y: [ad.y[0]], name: "start", mode: "markers",
          marker: { color: "#777777", size: 9 }, showlegend: false },
        { x: [0], y: [0], name: "minimum", mode: "markers",
          marker: { color: "#D55E00", size: 13, symbol: "star" }, showlegend: false },
      ];
      const layout = Object.assign(baseLayout(el), {
        title: { text: `Adam after ${data.steps} steps: ${last.toPrecision(2)} from the minimum`,
                 font: { size: 14 } },
        // Equal scales on both axes, so that a rotation looks like one.
        xaxis: { range: [-1.6, 1.6], title: { text: "θ₁" }, zeroline: false,
                 constrain: "domain" },
        yaxis: { range: [-1.6, 1.6], title: { text: "θ₂" }, zeroline: false,
                 scaleanchor: "x", scaleratio: 1, constrain: "domain" },
      });
      Plotly.react(plot, traces, layout, { displayModeBar: false, responsive: true });
    };
    const state = buildSliders(el, data.sliders, draw);
    return () => draw(state);
  }

  function snr(el, plot, data) {
    const draw = (state) => {
      const measured = data.measured[state[0]][state[1]];
      const b1 = data.sliders[0].values[state[0]], b2 = data.sliders[1].values[state[1]];
      const traces = [
        { x: data.snr, y: data.predicted, name: "μ/√(μ²+σ²)", mode: "lines",
          line: { color: "#777777", width: 2 } },
        { x: data.snr, y: data.sign_predicted, name: "erf(r/√2), sign descent", mode: "lines",
          line: { color: "#777777", width: 2, dash: "dot" } },
        { x: data.snr, y: data.sign_measured, name: "sign descent (measured)", mode: "markers",
          marker: { color: "#CC79A7", symbol: "triangle-up", size: 8 } },
        { x: data.snr, y: measured, name: `Adam, β₁ = ${b1}, β₂ = ${b2} (measured)`,
          mode: "lines+markers", line: { color: "#0072B2", width: 2.5 }, marker: { size: 7 } },
      ];
      const layout = Object.assign(baseLayout(el), {
        xaxis: { type: "log", title: { text: "signal-to-noise ratio r = μ/σ" } },
        yaxis: { range: [0, 1.1], title: { text: "mean step / α" } },
        legend: { x: 0.02, y: 0.98, bgcolor: "rgba(0,0,0,0)" },
      });
      Plotly.react(plot, traces, layout, { displayModeBar: false, responsive: true });
    };
    const state = buildSliders(el, data.sliders, draw);
    return () => draw(state);
  }

  const KINDS = { race, snr };

  function init() {
    if (typeof Plotly === "undefined") return; // the fallback text stays
    const redraws = [];
    document.querySelectorAll(".adam-widget").forEach((el) => {
      const data = JSON.parse(el.querySelector('script[type="application/json"]').textContent);
      const fallback = el.querySelector(".adam-widget-fallback");
      if (fallback) fallback.remove();
      const plot = document.createElement("div");
      plot.className = "adam-widget-plot";
      const redraw = KINDS[data.kind](el, plot, data);
      el.append(plot);
      redraw();
      redraws.push(redraw);
    });
    // Text colours follow the light/dark theme switch.
    new MutationObserver(() => redraws.forEach((redraw) => redraw())).observe(
      document.documentElement, { attributes: true, attributeFilter: ["data-theme"] });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
