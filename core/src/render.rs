//! Pictures of a scenario: Graphviz DOT, Mermaid, and an SVG Gantt chart.

use std::fmt::Write as _;

use crate::analysis::CriticalPath;
use crate::scenario::Scenario;

/// A picture format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GraphFormat {
    /// Graphviz DOT: `dot -Tpng`.
    Dot,
    /// Mermaid flowchart, for Markdown pages.
    Mermaid,
    /// SVG Gantt chart of earliest starts.
    Svg,
}

/// Draws the scenario in the given format, with the critical path marked.
pub fn render(s: &Scenario, cp: &CriticalPath, format: GraphFormat) -> String {
    match format {
        GraphFormat::Dot => dot(s, cp),
        GraphFormat::Mermaid => mermaid(s, cp),
        GraphFormat::Svg => gantt_svg(s, cp),
    }
}

fn on_path(cp: &CriticalPath, i: usize) -> bool {
    cp.path().contains(&i)
}

/// True when the edge `a → b` is a step of the critical path.
fn path_edge(cp: &CriticalPath, a: usize, b: usize) -> bool {
    cp.path().windows(2).any(|w| w[0] == a && w[1] == b)
}

fn label(s: &Scenario, i: usize) -> String {
    let t = &s.tasks()[i];
    let d = &t.duration;
    let time = if d.is_fixed() {
        d.likely().to_string()
    } else {
        format!("{}/{}/{}", d.min(), d.likely(), d.max())
    };
    match &t.name_zh {
        Some(zh) => format!("{}\n{}\n{}\n{}", t.id, t.name, zh, time),
        None => format!("{}\n{}\n{}", t.id, t.name, time),
    }
}

fn dot(s: &Scenario, cp: &CriticalPath) -> String {
    let esc = |x: &str| {
        x.replace('\\', "\\\\")
            .replace('"', "\\\"")
            .replace('\n', "\\n")
    };
    let mut out = String::new();
    let _ = writeln!(out, "// {} {}", s.meta().id, s.meta().version);
    let _ = writeln!(
        out,
        "// Red: critical path ({}). Bold outline: critical task (failing it fails the drill).",
        s.meta().id
    );
    out.push_str("digraph scenario {\n  rankdir=LR;\n  node [shape=box, style=rounded, fontname=\"sans-serif\"];\n");
    for (i, t) in s.tasks().iter().enumerate() {
        let mut attrs = vec![format!("label=\"{}\"", esc(&label(s, i)))];
        if on_path(cp, i) {
            attrs.push("color=red, fontcolor=red".into());
        }
        if t.critical {
            attrs.push("penwidth=3".into());
        }
        let _ = writeln!(out, "  \"{}\" [{}];", esc(&t.id), attrs.join(", "));
    }
    for i in 0..s.tasks().len() {
        for &j in s.graph().successors(i) {
            let j = j as usize;
            let style = if path_edge(cp, i, j) {
                " [color=red, penwidth=2]"
            } else {
                ""
            };
            let _ = writeln!(
                out,
                "  \"{}\" -> \"{}\"{};",
                esc(&s.tasks()[i].id),
                esc(&s.tasks()[j].id),
                style
            );
        }
    }
    out.push_str("}\n");
    out
}

fn mermaid(s: &Scenario, cp: &CriticalPath) -> String {
    // Mermaid ids must be plain words; labels carry the real ids.
    let node = |i: usize| format!("t{i}");
    let esc = |x: &str| x.replace('"', "#quot;").replace('\n', "<br/>");
    let mut out = String::from("flowchart LR\n");
    for (i, t) in s.tasks().iter().enumerate() {
        let text = esc(&label(s, i));
        if t.critical {
            let _ = writeln!(out, "  {}[[\"{}\"]]", node(i), text);
        } else {
            let _ = writeln!(out, "  {}[\"{}\"]", node(i), text);
        }
    }
    let mut link = 0;
    let mut red_links = Vec::new();
    for i in 0..s.tasks().len() {
        for &j in s.graph().successors(i) {
            let j = j as usize;
            let _ = writeln!(out, "  {} --> {}", node(i), node(j));
            if path_edge(cp, i, j) {
                red_links.push(link.to_string());
            }
            link += 1;
        }
    }
    out.push_str("  classDef critpath stroke:#d00,stroke-width:3px,color:#d00;\n");
    let on: Vec<String> = cp.path().iter().map(|&i| node(i)).collect();
    if !on.is_empty() {
        let _ = writeln!(out, "  class {} critpath;", on.join(","));
    }
    if !red_links.is_empty() {
        let _ = writeln!(
            out,
            "  linkStyle {} stroke:#d00,stroke-width:3px;",
            red_links.join(",")
        );
    }
    out
}

fn xml(x: &str) -> String {
    x.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn gantt_svg(s: &Scenario, cp: &CriticalPath) -> String {
    const LEFT: f64 = 260.0;
    const ROW: f64 = 28.0;
    const TOP: f64 = 50.0;
    const WIDTH: f64 = 640.0;
    let total = cp.length().as_secs().max(1) as f64;
    // The axis runs to the latest finish, slack included, rounded up to whole 5 minutes.
    let span_min = ((total / 60.0 / 5.0).ceil() * 5.0).max(5.0);
    let scale = WIDTH / (span_min * 60.0);
    let n = s.tasks().len();
    let height = TOP + ROW * n as f64 + 40.0;
    let mut out = String::new();
    let _ = writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{}" height="{height}" viewBox="0 0 {} {height}" font-family="sans-serif" font-size="12">"#,
        LEFT + WIDTH + 20.0,
        LEFT + WIDTH + 20.0
    );
    let _ = writeln!(
        out,
        r#"  <title>{} — earliest starts on likely durations ({} min)</title>"#,
        xml(&s.meta().name),
        total / 60.0
    );
    let _ = writeln!(
        out,
        r#"  <text x="10" y="20" font-size="14" font-weight="bold">{} {}</text>"#,
        xml(&s.meta().name),
        xml(s.meta().name_zh.as_deref().unwrap_or(""))
    );
    let _ = writeln!(
        out,
        r##"  <text x="10" y="38" fill="#555">Red: critical path. Grey: slack. ! marks a critical task.</text>"##
    );
    let mut minute = 0.0;
    while minute <= span_min {
        let x = LEFT + minute * 60.0 * scale;
        let _ = writeln!(
            out,
            r##"  <line x1="{x:.1}" y1="{TOP}" x2="{x:.1}" y2="{:.1}" stroke="#ddd"/>"##,
            TOP + ROW * n as f64
        );
        let _ = writeln!(
            out,
            r##"  <text x="{x:.1}" y="{:.1}" text-anchor="middle" fill="#555">{minute}m</text>"##,
            TOP + ROW * n as f64 + 16.0
        );
        minute += 5.0;
    }
    for (i, (t, timing)) in s.tasks().iter().zip(cp.timings()).enumerate() {
        let y = TOP + ROW * i as f64;
        let es = timing.earliest_start.as_secs() as f64;
        let ef = timing.earliest_finish.as_secs() as f64;
        let slack = timing.slack.as_secs() as f64;
        let colour = if on_path(cp, i) { "#d33" } else { "#48c" };
        let mark = if t.critical { "! " } else { "" };
        let _ = writeln!(
            out,
            r#"  <text x="10" y="{:.1}">{mark}{} {}</text>"#,
            y + 18.0,
            xml(&t.id),
            xml(t.name_zh.as_deref().unwrap_or(""))
        );
        let _ = writeln!(
            out,
            r#"  <rect x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}" fill="{colour}"><title>{}: start {} min, finish {} min, slack {} min</title></rect>"#,
            LEFT + es * scale,
            y + 5.0,
            ((ef - es) * scale).max(1.0),
            ROW - 10.0,
            xml(&t.name),
            es / 60.0,
            ef / 60.0,
            slack / 60.0
        );
        if slack > 0.0 {
            let _ = writeln!(
                out,
                r##"  <rect x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}" fill="#ccc"/>"##,
                LEFT + ef * scale,
                y + 11.0,
                slack * scale,
                ROW - 22.0
            );
        }
    }
    out.push_str("</svg>\n");
    out
}
