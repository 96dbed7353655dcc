//! PNG plots with plotters: line charts (traces, f–I curves, loss curves) and spike rasters.
//!
//! Text is drawn with the bundled DejaVu Sans font (`assets/`, Bitstream Vera licence), so no
//! system font library is needed.

use std::path::Path;
use std::sync::Once;

use plotters::prelude::*;
use plotters::style::FontStyle;

use crate::error::{Error, Result};

static FONT: Once = Once::new();

fn ensure_font() {
    FONT.call_once(|| {
        let bytes: &'static [u8] = include_bytes!("../assets/DejaVuSans.ttf");
        // The bundled file is a valid TrueType font; failure would be a packaging bug.
        plotters::style::register_font("sans-serif", FontStyle::Normal, bytes)
            .unwrap_or_else(|_| panic!("bundled font assets/DejaVuSans.ttf is invalid"));
    });
}

fn plot_err(path: &Path, e: impl std::fmt::Display) -> Error {
    Error::BadFile {
        path: path.display().to_string(),
        reason: format!("cannot draw plot: {e}"),
    }
}

/// One line of a chart.
#[derive(Clone, Debug)]
pub struct Series {
    /// Legend label.
    pub label: String,
    /// Points (x, y).
    pub points: Vec<(f64, f64)>,
}

impl Series {
    /// A labelled series.
    pub fn new(label: impl Into<String>, points: Vec<(f64, f64)>) -> Self {
        Series {
            label: label.into(),
            points,
        }
    }
}

fn bounds(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in values.filter(|v| v.is_finite()) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    if hi - lo < 1e-12 {
        return (lo - 1.0, hi + 1.0);
    }
    let pad = 0.05 * (hi - lo);
    (lo - pad, hi + pad)
}

/// Draws line series into a PNG of `size` pixels.
pub fn line_chart(
    path: impl AsRef<Path>,
    title: &str,
    x_label: &str,
    y_label: &str,
    series: &[Series],
    size: (u32, u32),
) -> Result<()> {
    ensure_font();
    let path = path.as_ref();
    let root = BitMapBackend::new(path, size).into_drawing_area();
    root.fill(&WHITE).map_err(|e| plot_err(path, e))?;
    let (x0, x1) = bounds(series.iter().flat_map(|s| s.points.iter().map(|p| p.0)));
    let (y0, y1) = bounds(series.iter().flat_map(|s| s.points.iter().map(|p| p.1)));
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 22))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(x0..x1, y0..y1)
        .map_err(|e| plot_err(path, e))?;
    chart
        .configure_mesh()
        .x_desc(x_label)
        .y_desc(y_label)
        .label_style(("sans-serif", 14))
        .draw()
        .map_err(|e| plot_err(path, e))?;
    for (k, s) in series.iter().enumerate() {
        let color = Palette99::pick(k).to_rgba();
        chart
            .draw_series(LineSeries::new(
                s.points.iter().copied(),
                color.stroke_width(2),
            ))
            .map_err(|e| plot_err(path, e))?
            .label(s.label.clone())
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(2))
            });
    }
    if series.len() > 1 || series.iter().any(|s| !s.label.is_empty()) {
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .label_font(("sans-serif", 14))
            .draw()
            .map_err(|e| plot_err(path, e))?;
    }
    root.present().map_err(|e| plot_err(path, e))?;
    Ok(())
}

/// The spikes of a raster group, produced afresh for each pass over them.
pub type SpikeSource<'a> = Box<dyn Fn() -> Box<dyn Iterator<Item = (f64, usize)> + 'a> + 'a>;

/// A group of spikes for a raster: `(time ms, neuron index)` pairs drawn in one colour,
/// stacked above the previous groups.
pub struct RasterGroup<'a> {
    /// Group label.
    pub label: String,
    /// Number of neurons (vertical extent).
    pub num: usize,
    /// Spikes as (t, index), read twice (the dots, then the rate) and never copied, so a
    /// long run's spike record is drawn where it lies.
    pub spikes: SpikeSource<'a>,
}

/// Draws a spike raster (and, when `rate_bin_ms` is given, the population rate below it).
pub fn raster(
    path: impl AsRef<Path>,
    title: &str,
    groups: &[RasterGroup<'_>],
    t_max: f64,
    rate_bin_ms: Option<f64>,
    size: (u32, u32),
) -> Result<()> {
    ensure_font();
    let path = path.as_ref();
    let root = BitMapBackend::new(path, size).into_drawing_area();
    root.fill(&WHITE).map_err(|e| plot_err(path, e))?;
    let (top, bottom) = match rate_bin_ms {
        Some(_) => {
            let (a, b) = root.split_vertically((size.1 as f64 * 0.7) as u32);
            (a, Some(b))
        }
        None => (root.clone(), None),
    };
    let total: usize = groups.iter().map(|g| g.num).sum::<usize>().max(1);
    let t_max = if t_max > 0.0 { t_max } else { 1.0 };
    let mut chart = ChartBuilder::on(&top)
        .caption(title, ("sans-serif", 22))
        .margin(12)
        .x_label_area_size(35)
        .y_label_area_size(60)
        .build_cartesian_2d(0.0..t_max, 0.0..total as f64)
        .map_err(|e| plot_err(path, e))?;
    chart
        .configure_mesh()
        .x_desc("time (ms)")
        .y_desc("neuron")
        .label_style(("sans-serif", 14))
        .draw()
        .map_err(|e| plot_err(path, e))?;
    let dot = if total > 500 { 1 } else { 2 };
    let mut offset = 0usize;
    for (k, g) in groups.iter().enumerate() {
        let color = Palette99::pick(k).to_rgba();
        let off = offset as f64;
        chart
            .draw_series(
                (g.spikes)()
                    .map(|(t, i)| Circle::new((t, off + i as f64 + 0.5), dot, color.filled())),
            )
            .map_err(|e| plot_err(path, e))?
            .label(g.label.clone())
            .legend(move |(x, y)| Circle::new((x + 8, y), 4, color.filled()));
        offset += g.num;
    }
    if groups.len() > 1 {
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .label_font(("sans-serif", 14))
            .draw()
            .map_err(|e| plot_err(path, e))?;
    }
    if let (Some(area), Some(bin)) = (bottom, rate_bin_ms) {
        let nbins = ((t_max / bin).ceil() as usize).max(1);
        let mut counts = vec![0usize; nbins];
        for g in groups {
            for (t, _) in (g.spikes)() {
                let b = ((t / bin) as usize).min(nbins - 1);
                counts[b] += 1;
            }
        }
        let rates: Vec<(f64, f64)> = counts
            .iter()
            .enumerate()
            .map(|(b, &c)| {
                (
                    (b as f64 + 0.5) * bin,
                    c as f64 / total as f64 / (bin / 1000.0),
                )
            })
            .collect();
        let (_, ymax) = bounds(rates.iter().map(|r| r.1).chain([0.0]));
        let mut rc = ChartBuilder::on(&area)
            .margin(12)
            .x_label_area_size(35)
            .y_label_area_size(60)
            .build_cartesian_2d(0.0..t_max, 0.0..ymax.max(1.0))
            .map_err(|e| plot_err(path, e))?;
        rc.configure_mesh()
            .x_desc("time (ms)")
            .y_desc("rate (Hz)")
            .label_style(("sans-serif", 14))
            .draw()
            .map_err(|e| plot_err(path, e))?;
        rc.draw_series(LineSeries::new(rates, BLUE.stroke_width(2)))
            .map_err(|e| plot_err(path, e))?;
    }
    root.present().map_err(|e| plot_err(path, e))?;
    Ok(())
}
