//! The `/stats` chart: average score per Leadership Principle as a PNG, drawn with plotters and a
//! bundled font (DejaVu Sans), so no system fonts are needed on the host.

use std::sync::Once;

use plotters::prelude::*;

use crate::bank::Bank;
use crate::store::stats::Stats;

const FONT: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
const FONT_NAME: &str = "bar-raiser-sans";
const WIDTH: u32 = 900;
const HEIGHT: u32 = 520;

#[derive(Debug, thiserror::Error)]
#[error("the stats chart could not be drawn: {0}")]
pub struct ChartError(String);

fn register_font() -> Result<(), ChartError> {
    static REGISTER: Once = Once::new();
    let mut result = Ok(());
    REGISTER.call_once(|| {
        result = plotters::style::register_font(FONT_NAME, FontStyle::Normal, FONT)
            .map_err(|_| ChartError("the bundled font is invalid".into()));
    });
    result
}

/// A PNG bar chart: one bar per principle (average score 0–5), with the attempt count above it.
pub fn stats_png(stats: &Stats, bank: &Bank) -> Result<Vec<u8>, ChartError> {
    register_font()?;
    let bars: Vec<(String, f64, usize)> = bank
        .principles()
        .iter()
        .map(|p| {
            let found = stats.per_lp.iter().find(|s| s.lp == p.id);
            (
                short_label(&p.name),
                found.map_or(0.0, |s| s.average_score),
                found.map_or(0, |s| s.attempts),
            )
        })
        .collect();

    let mut rgb = vec![0u8; (WIDTH * HEIGHT * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, (WIDTH, HEIGHT)).into_drawing_area();
        draw(&root, &bars).map_err(|e| ChartError(e.to_string()))?;
        root.present().map_err(|e| ChartError(e.to_string()))?;
    }
    encode_png(&rgb)
}

fn draw(
    root: &DrawingArea<BitMapBackend<'_>, plotters::coord::Shift>,
    bars: &[(String, f64, usize)],
) -> Result<(), Box<dyn std::error::Error>> {
    root.fill(&WHITE)?;
    let count = bars.len().max(1) as u32;
    let mut chart = ChartBuilder::on(root)
        .caption("Average score per Leadership Principle", (FONT_NAME, 22))
        .margin(12)
        .x_label_area_size(120)
        .y_label_area_size(40)
        .build_cartesian_2d((0u32..count).into_segmented(), 0f64..5.2f64)?;
    let labels: Vec<String> = bars.iter().map(|(l, _, _)| l.clone()).collect();
    chart
        .configure_mesh()
        .disable_x_mesh()
        .y_desc("score")
        .x_labels(bars.len())
        .x_label_formatter(&|x| match x {
            SegmentValue::CenterOf(i) => labels.get(*i as usize).cloned().unwrap_or_default(),
            _ => String::new(),
        })
        .x_label_style(
            (FONT_NAME, 12)
                .into_font()
                .transform(FontTransform::Rotate90),
        )
        .label_style((FONT_NAME, 13))
        .draw()?;
    chart.draw_series(bars.iter().enumerate().map(|(i, (_, score, attempts))| {
        let colour = if *attempts == 0 {
            RGBColor(200, 200, 200)
        } else if *score >= 4.0 {
            RGBColor(34, 197, 94)
        } else if *score >= 3.0 {
            RGBColor(245, 158, 11)
        } else {
            RGBColor(239, 68, 68)
        };
        let i = i as u32;
        Rectangle::new(
            [
                (SegmentValue::Exact(i), 0.0),
                (SegmentValue::Exact(i + 1), score.max(0.05)),
            ],
            colour.filled(),
        )
    }))?;
    chart.draw_series(bars.iter().enumerate().map(|(i, (_, score, attempts))| {
        Text::new(
            format!("{attempts}"),
            (SegmentValue::CenterOf(i as u32), score + 0.15),
            (FONT_NAME, 12).into_font(),
        )
    }))?;
    Ok(())
}

fn short_label(name: &str) -> String {
    super::limits::truncate(name, 22)
}

/// Raw RGB to PNG.
fn encode_png(rgb: &[u8]) -> Result<Vec<u8>, ChartError> {
    use image::ImageEncoder;
    let mut out = Vec::new();
    image::codecs::png::PngEncoder::new(&mut out)
        .write_image(rgb, WIDTH, HEIGHT, image::ColorType::Rgb8)
        .map_err(|e| ChartError(e.to_string()))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chart_is_a_png_even_with_no_attempts() {
        let bank = Bank::builtin();
        let all: Vec<String> = bank.principles().iter().map(|p| p.id.clone()).collect();
        let tz = jiff::tz::TimeZone::UTC;
        let stats = crate::store::stats::compute(&[], &all, jiff::Timestamp::UNIX_EPOCH, &tz);
        let png = stats_png(&stats, &bank).expect("draws");
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        assert!(png.len() > 1000);
    }
}
