// The dashboard page: draws /api/events' graph with cytoscape and its dagre layout, keeps it
// current as the server sends changes (server-sent events, no reload), and shows a banner when
// the API server or the control plane cannot be read. Plain browser JavaScript: the CLI serves
// this file as it is, next to cytoscape's own bundles from node_modules.
"use strict";

const LOCK_SVG =
  "data:image/svg+xml;utf8," +
  encodeURIComponent(
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 28">' +
      '<path d="M6 12V8a6 6 0 0 1 12 0v4" fill="none" stroke="#1a365d" stroke-width="3"/>' +
      '<rect x="2" y="12" width="20" height="15" rx="3" fill="#1a365d"/>' +
      '<circle cx="12" cy="19" r="2.5" fill="#fefcbf"/></svg>',
  );

const SYNC_COLORS = {
  SYNCED: "#38a169",
  STALE: "#dd6b20",
  NACK: "#e53e3e",
  "NO PROXY": "#a0aec0",
  UNKNOWN: "#a0aec0",
};

const state = { graph: undefined, updates: 0, selected: undefined, cy: undefined };
// For the browser test and for curious users (devtools): the graph as last drawn.
window.rigDashboard = state;

function worstLevel(warnings) {
  for (const level of ["Error", "Warning", "Info"])
    if (warnings.some(w => w.level === level)) return level;
  return undefined;
}

function nodeLabel(n) {
  const warn = n.warnings.length > 0 ? `  ⚠ ${n.warnings.length}` : "";
  if (n.kind === "namespace") return `namespace ${n.label}${warn}`;
  if (n.kind === "service") return `${n.label}${warn}`;
  const version = n.version ? `${n.version} · ` : "";
  return `${n.label}${warn}\n${version}${n.sync ?? ""}`;
}

function elementsOf(graph) {
  const nodes = graph.nodes.map(n => {
    const level = worstLevel(n.warnings);
    const classes = [n.kind];
    if (n.mtls && n.mtls.locked) classes.push("locked");
    if (level) classes.push(`warn-${level}`);
    return {
      group: "nodes",
      data: {
        ...n,
        id: n.id,
        parent: n.parent,
        display: nodeLabel(n),
        syncColor: SYNC_COLORS[n.sync] ?? "#a0aec0",
        locked: Boolean(n.mtls && n.mtls.locked),
      },
      classes: classes.join(" "),
    };
  });
  const edges = graph.edges.map(e => ({
    group: "edges",
    data: { ...e, width: e.kind === "route" ? 1.5 + ((e.weight ?? 0) / 100) * 4 : 1.5 },
    classes: e.kind,
  }));
  return [...nodes, ...edges];
}

const STYLE = [
  {
    selector: "node",
    style: {
      label: "data(display)",
      "text-wrap": "wrap",
      "text-valign": "center",
      "text-halign": "center",
      "font-size": 11,
      "font-family": "DejaVu Sans, sans-serif",
      color: "#102a43",
    },
  },
  {
    selector: "node.namespace",
    style: {
      shape: "round-rectangle",
      "background-color": "#eef2f7",
      "border-color": "#9fb3c8",
      "border-width": 1,
      "text-valign": "top",
      "text-halign": "center",
      "font-weight": "bold",
      "font-size": 13,
      padding: 18,
    },
  },
  {
    selector: "node.service",
    style: {
      shape: "triangle",
      width: 58,
      height: 48,
      "background-color": "#bee3f8",
      "border-color": "#2b6cb0",
      "border-width": 2,
      "text-valign": "bottom",
      "text-margin-y": 4,
    },
  },
  {
    selector: "node.workload",
    style: {
      shape: "round-rectangle",
      width: 132,
      height: 44,
      "background-color": "#ffffff",
      "border-color": "data(syncColor)",
      "border-width": 4,
    },
  },
  {
    selector: "node.locked",
    style: {
      "background-image": LOCK_SVG,
      "background-width": 14,
      "background-height": 16,
      "background-position-x": "100%",
      "background-position-y": "0%",
      "background-offset-x": -3,
      "background-offset-y": 3,
      "background-clip": "none",
    },
  },
  {
    selector: "node.warn-Warning",
    style: { "underlay-color": "#ecc94b", "underlay-opacity": 0.6, "underlay-padding": 5 },
  },
  {
    selector: "node.warn-Error",
    style: { "underlay-color": "#e53e3e", "underlay-opacity": 0.5, "underlay-padding": 5 },
  },
  {
    selector: "node.warn-Info",
    style: { "underlay-color": "#63b3ed", "underlay-opacity": 0.4, "underlay-padding": 5 },
  },
  { selector: "node:selected", style: { "overlay-color": "#3182ce", "overlay-opacity": 0.15 } },
  {
    selector: "edge",
    style: {
      "curve-style": "bezier",
      "target-arrow-shape": "triangle",
      "arrow-scale": 0.9,
      width: "data(width)",
      label: "data(label)",
      "font-size": 11,
      "font-family": "DejaVu Sans, sans-serif",
      "text-background-color": "#ffffff",
      "text-background-opacity": 0.9,
      "text-background-padding": 2,
    },
  },
  {
    selector: "edge.route",
    style: {
      "line-color": "#2b6cb0",
      "target-arrow-color": "#2b6cb0",
      color: "#1a365d",
      "font-weight": "bold",
    },
  },
  {
    selector: "edge.selects",
    style: { "line-color": "#9fb3c8", "target-arrow-color": "#9fb3c8", "line-style": "dashed" },
  },
  {
    // Authorization labels sit by the workload they protect, clear of the route weights.
    selector: "edge.allow, edge.deny",
    style: {
      label: "",
      "target-label": "data(label)",
      "target-text-offset": 48,
      "font-size": 10,
    },
  },
  {
    selector: "edge.allow",
    style: {
      "line-color": "#2f855a",
      "target-arrow-color": "#2f855a",
      "line-style": "dotted",
      color: "#22543d",
    },
  },
  {
    selector: "edge.deny",
    style: {
      "line-color": "#c53030",
      "target-arrow-color": "#c53030",
      "line-style": "dotted",
      color: "#742a2a",
      "target-arrow-shape": "tee",
    },
  },
];

function escapeHtml(s) {
  return String(s).replace(/[&<>"']/g, c => `&#${c.charCodeAt(0)};`);
}

function row(key, value) {
  return `<tr><th>${escapeHtml(key)}</th><td>${value}</td></tr>`;
}

function warningsHtml(warnings) {
  if (warnings.length === 0) return "<p>None.</p>";
  return warnings
    .map(
      w =>
        `<div class="warning ${escapeHtml(w.level)}"><b>${escapeHtml(w.level)} [${escapeHtml(w.code)}]</b> ` +
        `${escapeHtml(w.origin)}<br>${escapeHtml(w.message)}</div>`,
    )
    .join("");
}

function detailsHtml(n, graph) {
  const rows = [row("kind", escapeHtml(n.kind)), row("namespace", escapeHtml(n.namespace))];
  if (n.hosts) rows.push(row("hosts", n.hosts.map(escapeHtml).join("<br>")));
  if (n.ports) rows.push(row("ports", n.ports.map(escapeHtml).join(", ")));
  if (n.app) rows.push(row("app", escapeHtml(n.app)));
  if (n.version) rows.push(row("version", escapeHtml(n.version)));
  if (n.serviceAccount) rows.push(row("service account", escapeHtml(n.serviceAccount)));
  if (n.pods) rows.push(row("pods", n.pods.map(escapeHtml).join("<br>")));
  let html = `<h2>${escapeHtml(n.label)}</h2><table>${rows.join("")}</table>`;
  if (n.mtls) {
    const ports = Object.entries(n.mtls.ports)
      .map(([p, m]) => `${escapeHtml(p)}: <b>${escapeHtml(m)}</b>`)
      .join("<br>");
    html +=
      `<h3>mTLS ${n.mtls.locked ? '<img src="' + LOCK_SVG + '" width="10" height="12" alt="locked">' : ""}</h3>` +
      `<table>${row("mode", `<b>${escapeHtml(n.mtls.mode)}</b>`)}${row("from", escapeHtml(n.mtls.source))}` +
      `${ports ? row("per port", ports) : ""}</table>`;
  }
  if (n.sync) {
    html += `<h3>Proxies: <span class="state-${escapeHtml(n.sync.replace(" ", "-"))}">${escapeHtml(n.sync)}</span></h3>`;
    if (n.proxies && n.proxies.length > 0) {
      const types = Object.keys(n.proxies[0].types);
      html +=
        `<table><tr><th>proxy</th>${types.map(t => `<th>${t}</th>`).join("")}</tr>` +
        n.proxies
          .map(
            p =>
              `<tr><td>${escapeHtml(p.name)}</td>${types
                .map(
                  t => `<td class="state-${escapeHtml(p.types[t])}">${escapeHtml(p.types[t])}</td>`,
                )
                .join("")}</tr>` +
              (p.nack
                ? `<tr><td colspan="${types.length + 1}" class="state-NACK">${escapeHtml(p.nack)}</td></tr>`
                : ""),
          )
          .join("") +
        "</table>";
    }
  }
  const related = graph.edges.filter(e => e.source === n.id || e.target === n.id);
  if (related.length > 0) {
    const name = id => escapeHtml((graph.nodes.find(x => x.id === id) || { label: id }).label);
    html +=
      "<h3>Edges</h3><ul>" +
      related
        .map(
          e =>
            `<li>${escapeHtml(e.kind)} ${name(e.source)} → ${name(e.target)} ${escapeHtml(e.label)}` +
            `${e.origin ? ` <small>(${escapeHtml(e.origin)})</small>` : ""}</li>`,
        )
        .join("") +
      "</ul>";
  }
  html += `<h3>Warnings</h3>${warningsHtml(n.warnings)}`;
  return html;
}

function overviewHtml(graph) {
  const workloads = graph.nodes.filter(n => n.kind === "workload").length;
  const services = graph.nodes.filter(n => n.kind === "service").length;
  return (
    `<h2>Mesh</h2><p>${services} services, ${workloads} workloads, ${graph.edges.length} edges. ` +
    "Click a node for its details.</p>" +
    `<h3>rig analyze (${graph.warnings.length})</h3>${warningsHtml(graph.warnings)}`
  );
}

function showDetails() {
  const aside = document.getElementById("details");
  const graph = state.graph;
  if (!graph) return;
  const n = state.selected && graph.nodes.find(x => x.id === state.selected);
  aside.innerHTML = n ? detailsHtml(n, graph) : overviewHtml(graph);
}

function showSources(graph) {
  const { cluster, controlPlane } = graph.sources;
  const chip = (el, name, s) => {
    el.textContent = `${name}: ${s.ok ? "ok" : "unreachable"}`;
    el.className = `source ${s.ok ? "ok" : "down"}`;
    el.title = s.address;
  };
  chip(document.getElementById("source-cluster"), "cluster", cluster);
  chip(document.getElementById("source-control-plane"), "control plane", controlPlane);
  const lines = [];
  if (!cluster.ok)
    lines.push(
      `API server unreachable (${cluster.address}): ${cluster.error}. ` +
        "Showing only the proxies connected to the control plane; config, mTLS and warnings are unknown.",
    );
  if (!controlPlane.ok)
    lines.push(
      `Control plane unreachable (${controlPlane.address}): ${controlPlane.error}. ` +
        "Proxy sync state is unknown; the cluster's config is shown.",
    );
  showBanner(lines.join("\n"));
}

function showBanner(text) {
  const banner = document.getElementById("banner");
  banner.textContent = text;
  banner.hidden = text === "";
}

function sameElements(cy, elements) {
  const ids = new Set(elements.map(e => e.data.id));
  return cy.elements().length === ids.size && cy.elements().every(e => ids.has(e.id()));
}

function draw(graph) {
  const cy = state.cy;
  const elements = elementsOf(graph);
  if (sameElements(cy, elements)) {
    // Same nodes and edges: update their state in place, so nothing moves under the reader.
    for (const el of elements) {
      const e = cy.getElementById(el.data.id);
      e.data(el.data);
      e.classes(el.classes);
    }
  } else {
    cy.elements().remove();
    cy.add(elements);
    cy.resize(); // the banner may have changed the canvas's height since the last draw
    cy.layout({
      name: "dagre",
      rankDir: "LR",
      nodeSep: 24,
      rankSep: 90,
      edgeSep: 10,
      padding: 24,
      fit: true,
      animate: false,
    }).run();
  }
  document.getElementById("empty").hidden = graph.nodes.length > 0;
}

/** Refits the graph when the banner came or went: the canvas changed height under it. */
function refit(bannerWasHidden) {
  if (document.getElementById("banner").hidden === bannerWasHidden) return;
  state.cy.resize();
  state.cy.fit(undefined, 24);
}

function render(graph) {
  state.graph = graph;
  state.updates += 1;
  const bannerWasHidden = document.getElementById("banner").hidden;
  showSources(graph);
  draw(graph);
  refit(bannerWasHidden);
  showDetails();
  document.getElementById("updated").textContent =
    `updated ${new Date(graph.generatedAt).toLocaleTimeString()} (live)`;
}

function connect() {
  const events = new EventSource("/api/events");
  events.addEventListener("graph", e => {
    try {
      render(JSON.parse(e.data));
    } catch (err) {
      showBanner(`The dashboard could not draw the graph: ${err}`);
    }
  });
  events.addEventListener("failure", e =>
    showBanner(`The dashboard server failed: ${JSON.parse(e.data)}`),
  );
  events.onerror = () => {
    // EventSource reconnects by itself; the next graph it gets replaces this banner.
    document.getElementById("updated").textContent = "dashboard server unreachable; retrying…";
    const shown = state.graph
      ? ` The graph shown is from ${new Date(state.graph.generatedAt).toLocaleTimeString()}.`
      : "";
    showBanner(
      `Cannot reach the rig dashboard server; is \`rig dashboard\` still running? Retrying.${shown}`,
    );
  };
}

function start() {
  document.getElementById("lock-legend").src = LOCK_SVG;
  state.cy = cytoscape({
    container: document.getElementById("graph"),
    style: STYLE,
    wheelSensitivity: 0.3,
    minZoom: 0.2,
    maxZoom: 3,
  });
  state.cy.on("tap", "node", e => {
    state.selected = e.target.id();
    showDetails();
  });
  state.cy.on("tap", e => {
    if (e.target === state.cy) {
      state.selected = undefined;
      showDetails();
    }
  });
  connect();
}

start();
