//! `--plot FILE.svg`: one SVG (plotters' SVG backend, no system fonts or libraries) with a bar
//! per cell (median wall time, a whisker from min to max); when `--workers` swept a strategy over
//! two or more counts, the concurrency sweep beside it: wall time and netrun's own peak RSS
//! against workers, one line per strategy (clibench's style: plain lines, labelled axes); and, per
//! strategy, a timeline of its last measured run: one row per device, bars for connect, auth and
//! each command, coloured by the worker that ran it — the concurrency the book's log lines
//! describe, as a picture.

use std::collections::HashMap;
use std::path::Path;

use anyhow::{anyhow, Result};
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::inside::HostBars;
use super::{Bench, CellKind};
use crate::strategy::{self, StrategyKind};

/// Devices shown per timeline; a bigger lab shows its first ones (inventory order).
pub const MAX_TIMELINE_ROWS: usize = 40;

/// The opacity of each kind of bar. The phases of a session share the worker's colour and differ
/// by opacity; tests count bars in the SVG by these values.
pub const WALL_BAR_ALPHA: f64 = 0.8;
pub const CONNECT_ALPHA: f64 = 0.3;
pub const AUTH_ALPHA: f64 = 0.55;
pub const COMMAND_ALPHA: f64 = 0.95;
pub const REST_ALPHA: f64 = 0.12;

/// The colour of `--external` commands' bars.
const EXTERNAL_COLOUR: (u8, u8, u8) = (148, 103, 189);

const WIDTH: u32 = 1100;
const BAR_ROW_PX: u32 = 30;
const TIMELINE_ROW_PX: u32 = 16;
const PANEL_CHROME_PX: u32 = 100;
const SWEEP_PX: u32 = 380;

/// The width of a sweep's lines; tests count the lines by it.
pub const SWEEP_STROKE: u32 = 3;

/// One cell of a sweep: (workers, median wall s, netrun's own peak RSS MiB).
type SweepPoint = (f64, f64, Option<f64>);

/// One strategy's cells by worker count.
struct Sweep {
    strategy: StrategyKind,
    /// The OS threads of every cell on the line (`-s async --threads`; 1 otherwise).
    threads: usize,
    points: Vec<SweepPoint>,
}

impl Sweep {
    fn label(&self) -> String {
        match self.threads {
            1 => self.strategy.name().to_string(),
            n => format!("{} on {n} threads", self.strategy.name()),
        }
    }
}

/// One strategy's timeline: the cell's label and the hosts of its last measured run.
struct Timeline<'a> {
    title: String,
    hosts: &'a [HostBars],
}

/// Write the bar chart and the timelines to `path`.
pub fn write_svg(bench: &Bench, path: &Path) -> Result<()> {
    let timelines = timelines(bench);
    let sweeps = sweeps(bench);
    let bars_height = PANEL_CHROME_PX + BAR_ROW_PX * bench.cells.len() as u32;
    let sweep_height = if sweeps.is_empty() { 0 } else { SWEEP_PX };
    let timeline_heights: Vec<u32> = timelines
        .iter()
        .map(|t| PANEL_CHROME_PX + TIMELINE_ROW_PX * t.hosts.len().min(MAX_TIMELINE_ROWS) as u32)
        .collect();
    let height = bars_height + sweep_height + timeline_heights.iter().sum::<u32>();
    let root = SVGBackend::new(path, (WIDTH, height)).into_drawing_area();
    root.fill(&WHITE).map_err(plot_error)?;
    let (bars, rest) = root.split_vertically(bars_height);
    draw_bars(bench, &bars)?;
    let (sweep, mut rest) = rest.split_vertically(sweep_height);
    if !sweeps.is_empty() {
        let (wall, rss) = sweep.split_horizontally(WIDTH / 2);
        let wall_title = format!(
            "`{}` on {} hosts: wall time against workers",
            bench.command, bench.hosts
        );
        draw_sweep(&sweeps, &wall, &wall_title, "seconds (median wall)", |p| {
            Some(p.1)
        })?;
        draw_sweep(
            &sweeps,
            &rss,
            "netrun's own peak RSS against workers",
            "MiB (VmHWM + fork workers', median)",
            |p| p.2,
        )?;
    }
    for (timeline, panel_height) in timelines.iter().zip(&timeline_heights) {
        let (panel, below) = rest.split_vertically(*panel_height);
        draw_timeline(timeline, &panel)?;
        rest = below;
    }
    root.present().map_err(plot_error)?;
    Ok(())
}

fn plot_error<E: std::error::Error + Send + Sync>(err: DrawingAreaErrorKind<E>) -> anyhow::Error {
    anyhow!("drawing the plot: {err}")
}

/// A strategy's colour from the strategy table; external commands share one of their own.
fn strategy_colour(kind: &CellKind) -> RGBColor {
    let (r, g, b) = kind
        .strategy()
        .map_or(EXTERNAL_COLOUR, StrategyKind::plot_colour);
    RGBColor(r, g, b)
}

/// Horizontal bars: median wall per cell, min–max whisker, the value and status as a label.
fn draw_bars<DB: DrawingBackend>(bench: &Bench, area: &DrawingArea<DB, Shift>) -> Result<()>
where
    DB::ErrorType: 'static,
{
    let rows = bench.cells.len();
    let longest = bench
        .summaries
        .iter()
        .map(|s| s.wall_ms.max / 1000.0)
        .fold(0.0, f64::max)
        .max(0.001);
    let labels: Vec<String> = bench.cells.iter().map(|c| c.kind.label()).collect();
    let caption = format!(
        "`{}` on {} hosts: median wall time per cell over {} run(s), min–max whisker",
        bench.command, bench.hosts, bench.runs
    );
    let mut chart = ChartBuilder::on(area)
        .caption(caption, ("sans-serif", 18))
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(150)
        .build_cartesian_2d(0.0..longest * 1.35, 0.0..rows as f64)
        .map_err(|e| anyhow!("drawing the plot: {e}"))?;
    configure_mesh(
        &mut chart,
        "seconds (wall, measured by wait4 around each child process)",
    )?;
    draw_row_labels(area, &chart, &labels)?;
    for (i, (cell, summary)) in bench.cells.iter().zip(&bench.summaries).enumerate() {
        let row = row_bottom(rows, i);
        let colour = strategy_colour(&cell.kind);
        let median = summary.wall_ms.median / 1000.0;
        let mut bar = Rectangle::new(
            [(0.0, row), (median, row + 1.0)],
            colour.mix(WALL_BAR_ALPHA).filled(),
        );
        bar.set_margin(5, 5, 0, 0);
        let whisker = PathElement::new(
            vec![
                (summary.wall_ms.min / 1000.0, row + 0.5),
                (summary.wall_ms.max / 1000.0, row + 0.5),
            ],
            BLACK.stroke_width(2),
        );
        let ratio = summary
            .ratio_to_sequential
            .map_or(String::new(), |r| format!(", {r:.3}× sequential"));
        let label = Text::new(
            format!("  {median:.3} s{ratio}, {}", summary.status),
            (summary.wall_ms.max / 1000.0, row + 0.5),
            ("sans-serif", 13)
                .into_font()
                .color(&BLACK)
                .pos(Pos::new(HPos::Left, VPos::Center)),
        );
        chart
            .plotting_area()
            .draw(&bar)
            .and_then(|_| chart.plotting_area().draw(&whisker))
            .and_then(|_| chart.plotting_area().draw(&label))
            .map_err(|e| anyhow!("drawing the plot: {e}"))?;
    }
    Ok(())
}

/// Each strategy (and thread count) that ran at two or more worker counts, with its cells that
/// succeeded, by workers.
fn sweeps(bench: &Bench) -> Vec<Sweep> {
    let mut lines: Vec<(StrategyKind, usize)> = Vec::new();
    for cell in &bench.cells {
        if let CellKind::Netrun {
            strategy, threads, ..
        } = cell.kind
        {
            if !lines.contains(&(strategy, threads)) {
                lines.push((strategy, threads));
            }
        }
    }
    lines
        .sort_by_key(|&(strategy, threads)| (strategy::all().position(|s| s == strategy), threads));
    lines
        .into_iter()
        .filter_map(|(strategy, threads)| {
            let mut points: Vec<SweepPoint> = bench
                .cells
                .iter()
                .zip(&bench.summaries)
                .filter(|(_, s)| !s.failed)
                .filter_map(|(cell, s)| match cell.kind {
                    CellKind::Netrun {
                        strategy: kind,
                        workers,
                        threads: on,
                    } if kind == strategy && on == threads => Some((
                        workers as f64,
                        s.wall_ms.median / 1000.0,
                        s.cost.rss_kib.map(|r| r.median / 1024.0),
                    )),
                    _ => None,
                })
                .collect();
            points.sort_by(|a, b| a.0.total_cmp(&b.0));
            (points.len() >= 2).then_some(Sweep {
                strategy,
                threads,
                points,
            })
        })
        .collect()
}

/// One chart of the sweep: `value` of each point against workers (log scale), a line and a dot
/// per cell for each strategy, a legend naming them.
fn draw_sweep<DB: DrawingBackend>(
    sweeps: &[Sweep],
    area: &DrawingArea<DB, Shift>,
    title: &str,
    y_desc: &str,
    value: fn(&SweepPoint) -> Option<f64>,
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    let points = || sweeps.iter().flat_map(|s| s.points.iter());
    let fewest = points().map(|p| p.0).fold(f64::INFINITY, f64::min);
    let most = points().map(|p| p.0).fold(0.0, f64::max);
    let highest = points().filter_map(value).fold(0.0, f64::max).max(0.001);
    let mut chart = ChartBuilder::on(area)
        .caption(title, ("sans-serif", 15))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(56)
        .build_cartesian_2d((fewest * 0.8..most * 1.25).log_scale(), 0.0..highest * 1.15)
        .map_err(|e| anyhow!("drawing the plot: {e}"))?;
    chart
        .configure_mesh()
        .label_style(("sans-serif", 12))
        .axis_desc_style(("sans-serif", 12))
        .x_desc("workers (-w), log scale")
        .y_desc(y_desc)
        .draw()
        .map_err(|e| anyhow!("drawing the plot: {e}"))?;
    for sweep in sweeps {
        let kind = CellKind::Netrun {
            strategy: sweep.strategy,
            workers: 0,
            threads: sweep.threads,
        };
        let colour = strategy_colour(&kind);
        let line: Vec<(f64, f64)> = sweep
            .points
            .iter()
            .filter_map(|p| Some((p.0, value(p)?)))
            .collect();
        chart
            .draw_series(LineSeries::new(
                line.iter().copied(),
                colour.stroke_width(SWEEP_STROKE),
            ))
            .map_err(|e| anyhow!("drawing the plot: {e}"))?
            .label(sweep.label())
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 18, y)], colour.stroke_width(SWEEP_STROKE))
            });
        chart
            .draw_series(
                line.iter()
                    .map(|&point| Circle::new(point, 4, colour.filled())),
            )
            .map_err(|e| anyhow!("drawing the plot: {e}"))?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .label_font(("sans-serif", 12))
        .draw()
        .map_err(|e| anyhow!("drawing the plot: {e}"))
}

/// The bottom of row `i` on the y axis: the first row is drawn on top.
fn row_bottom(rows: usize, i: usize) -> f64 {
    (rows - 1 - i) as f64
}

type Chart<'a, DB> = ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// Axes with readable text; the y axis has no numbers (rows are labelled by `draw_row_labels`).
fn configure_mesh<DB: DrawingBackend>(chart: &mut Chart<'_, DB>, x_desc: &str) -> Result<()>
where
    DB::ErrorType: 'static,
{
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(0)
        .label_style(("sans-serif", 12))
        .axis_desc_style(("sans-serif", 12))
        .x_desc(x_desc)
        .draw()
        .map_err(|e| anyhow!("drawing the plot: {e}"))
}

/// Each row's name, right-aligned left of the plotting area, level with the row's middle.
fn draw_row_labels<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    chart: &Chart<'_, DB>,
    labels: &[String],
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    let (base_x, base_y) = area.get_base_pixel();
    let style = ("sans-serif", 12)
        .into_font()
        .color(&BLACK)
        .pos(Pos::new(HPos::Right, VPos::Center));
    for (i, label) in labels.iter().enumerate() {
        let (x, y) = chart.backend_coord(&(0.0, row_bottom(labels.len(), i) + 0.5));
        area.draw(&Text::new(
            label.clone(),
            (x - base_x - 8, y - base_y),
            style.clone(),
        ))
        .map_err(|e| anyhow!("drawing the plot: {e}"))?;
    }
    Ok(())
}

/// Per strategy present, in the strategy table's order: its cell with the most workers and that
/// cell's last measured run that reported hosts.
fn timelines(bench: &Bench) -> Vec<Timeline<'_>> {
    strategy::all()
        .filter_map(|strategy| {
            let cell = bench
                .cells
                .iter()
                .filter(|c| c.kind.strategy() == Some(strategy))
                .max_by_key(|c| match c.kind {
                    CellKind::Netrun { workers, .. } => workers,
                    CellKind::External { .. } => 0,
                })?;
            let hosts = cell
                .runs
                .iter()
                .rev()
                .filter_map(|r| r.inside.as_ref())
                .map(|i| i.timeline.as_slice())
                .find(|t| !t.is_empty())?;
            Some(Timeline {
                title: cell.kind.label(),
                hosts,
            })
        })
        .collect()
}

/// The end of a host's session, ms from the run's start.
fn host_end(h: &HostBars) -> f64 {
    h.commands
        .iter()
        .map(|(start, ms)| start + ms)
        .fold(h.start_ms + h.total_ms, f64::max)
}

fn draw_timeline<DB: DrawingBackend>(
    timeline: &Timeline<'_>,
    area: &DrawingArea<DB, Shift>,
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    let hosts = &timeline.hosts[..timeline.hosts.len().min(MAX_TIMELINE_ROWS)];
    let rows = hosts.len();
    let end = hosts.iter().map(host_end).fold(0.0, f64::max).max(0.001);
    let mut workers: HashMap<&str, usize> = HashMap::new();
    for h in hosts {
        let next = workers.len();
        workers.entry(h.worker.as_str()).or_insert(next);
    }
    let shown = if hosts.len() < timeline.hosts.len() {
        format!("first {} of {} devices", hosts.len(), timeline.hosts.len())
    } else {
        format!("{} devices", hosts.len())
    };
    let caption = format!(
        "{}: {shown}, {} worker{}; colour = worker; light = connect, mid = auth, solid = \
         commands, faint = the whole session (incl. paging off, close)",
        timeline.title,
        workers.len(),
        if workers.len() == 1 { "" } else { "s" }
    );
    let labels: Vec<String> = hosts
        .iter()
        .map(|h| {
            if h.ok {
                h.name.clone()
            } else {
                format!("{} (failed)", h.name)
            }
        })
        .collect();
    let mut chart = ChartBuilder::on(area)
        .caption(caption, ("sans-serif", 16))
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(150)
        .build_cartesian_2d(0.0..end * 1.02, 0.0..rows as f64)
        .map_err(|e| anyhow!("drawing the plot: {e}"))?;
    configure_mesh(&mut chart, "ms since the run started")?;
    draw_row_labels(area, &chart, &labels)?;
    for (i, host) in hosts.iter().enumerate() {
        let row = row_bottom(rows, i);
        let colour = Palette99::pick(workers[host.worker.as_str()]).to_rgba();
        for (from, to, alpha) in phases(host) {
            let mut bar =
                Rectangle::new([(from, row), (to, row + 1.0)], colour.mix(alpha).filled());
            bar.set_margin(2, 2, 0, 1);
            chart
                .plotting_area()
                .draw(&bar)
                .map_err(|e| anyhow!("drawing the plot: {e}"))?;
        }
    }
    Ok(())
}

/// A host's bars on the time axis, (from ms, to ms, opacity): the whole session as a faint
/// background (it also holds paging off and closing), then connect, auth and each command at
/// the times netrun measured; phases that took no time are left out.
fn phases(h: &HostBars) -> Vec<(f64, f64, f64)> {
    let connect_end = h.start_ms + h.connect_ms;
    [
        (h.start_ms, h.start_ms + h.total_ms, REST_ALPHA),
        (h.start_ms, connect_end, CONNECT_ALPHA),
        (connect_end, connect_end + h.auth_ms, AUTH_ALPHA),
    ]
    .into_iter()
    .chain(
        h.commands
            .iter()
            .map(|&(start, ms)| (start, start + ms, COMMAND_ALPHA)),
    )
    .filter(|(from, to, _)| to > from)
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::test_support::bench;

    fn count(svg: &str, needle: &str) -> usize {
        svg.matches(needle).count()
    }

    fn opacity(alpha: f64) -> String {
        format!("opacity=\"{alpha}\"")
    }

    #[test]
    fn writes_one_bar_per_cell_and_one_timeline_row_per_device() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bench.svg");
        write_svg(&bench(), &path).unwrap();
        let svg = std::fs::read_to_string(&path).unwrap();
        assert!(svg.starts_with("<svg"), "{}", &svg[..svg.len().min(200)]);
        assert!(svg.trim_end().ends_with("</svg>"));
        // Five cells: sequential, threads, fork, async and the external command.
        assert_eq!(count(&svg, &opacity(WALL_BAR_ALPHA)), 5);
        // Four timelines (one per strategy) of two devices, each with connect, auth, one command.
        assert_eq!(count(&svg, &opacity(CONNECT_ALPHA)), 8);
        assert_eq!(count(&svg, &opacity(AUTH_ALPHA)), 8);
        assert_eq!(count(&svg, &opacity(COMMAND_ALPHA)), 8);
        assert_eq!(count(&svg, &opacity(REST_ALPHA)), 8);
        for title in ["sequential:", "threads ×2:", "fork ×2:", "async ×2:"] {
            assert!(svg.contains(title), "no timeline titled {title}");
        }
        // The fork cell's last run had both hosts ok; an earlier one failed one: no "(failed)".
        assert!(svg.contains("FAILED 1/4"));
        assert_eq!(count(&svg, "(failed)"), 0);
    }

    #[test]
    fn a_worker_sweep_draws_wall_and_rss_lines_per_strategy() {
        use crate::bench::test_support::{netrun_cell, run, strategy};
        let mut cells = Vec::new();
        for name in ["threads", "async"] {
            for (workers, wall) in [(10, 900.0), (100, 300.0), (1000, 200.0)] {
                cells.push(netrun_cell(strategy(name), workers, &[run(wall, 2, 0)]));
            }
        }
        // A failed cell is left out of the lines: its time is that of a run that did less.
        cells.push(netrun_cell(strategy("async"), 2000, &[run(100.0, 1, 1)]));
        let sweep = Bench::new("show clock".into(), "a lab".into(), 2, 1, cells);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sweep.svg");
        write_svg(&sweep, &path).unwrap();
        let svg = std::fs::read_to_string(&path).unwrap();
        assert!(svg.contains("wall time against workers"));
        assert!(svg.contains("peak RSS against workers"));
        assert!(svg.contains("workers (-w), log scale"));
        // Two strategies × two charts: a line and its legend's line each, 3 dots per line.
        let stroke = format!("stroke-width=\"{SWEEP_STROKE}\"");
        assert_eq!(count(&svg, &stroke), 2 * 2 * 2);
        assert_eq!(count(&svg, "<circle"), 2 * 2 * 3);
        // Without a sweep (one worker count per strategy) there is no such chart.
        let dir = tempfile::tempdir().unwrap();
        let plain = dir.path().join("bench.svg");
        write_svg(&bench(), &plain).unwrap();
        let svg = std::fs::read_to_string(&plain).unwrap();
        assert!(!svg.contains("against workers"));
        assert_eq!(count(&svg, "<circle"), 0);
    }

    #[test]
    fn phases_sit_where_they_were_measured_and_skip_empty_ones() {
        let host = HostBars {
            name: "R1".into(),
            ok: false,
            start_ms: 10.0,
            connect_ms: 2.0,
            auth_ms: 0.0,
            commands: vec![(13.0, 3.0), (16.5, 4.0)],
            total_ms: 12.0,
            worker: "main".into(),
        };
        assert_eq!(
            phases(&host),
            vec![
                (10.0, 22.0, REST_ALPHA),
                (10.0, 12.0, CONNECT_ALPHA),
                (13.0, 16.0, COMMAND_ALPHA),
                (16.5, 20.5, COMMAND_ALPHA),
            ]
        );
        assert_eq!(host_end(&host), 22.0);
        let overrun = HostBars {
            total_ms: 5.0,
            ..host
        };
        assert_eq!(
            host_end(&overrun),
            20.5,
            "a command past total_ms widens the axis"
        );
    }

    #[test]
    fn the_first_row_is_on_top() {
        assert_eq!(row_bottom(3, 0), 2.0);
        assert_eq!(row_bottom(3, 2), 0.0);
    }
}
