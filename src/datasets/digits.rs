//! The UCI handwritten digits (8×8 images, 10 classes, 1797 samples; `data/digits.csv.gz`,
//! CC BY 4.0, see `data/README.md`): loading, a seeded train/test split, and encodings of
//! images as network input (a constant current, or seeded Bernoulli spike trains).

use std::io::Read;
use std::path::Path;

use burn::tensor::{Tensor, TensorData};
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;

use crate::backend::Ctx;
use crate::error::{Error, Result};
use crate::integrate::noise::step_uniforms;

/// Pixels per image (8×8).
pub const PIXELS: usize = 64;
/// Number of classes (digits 0–9).
pub const CLASSES: usize = 10;
/// Largest pixel value (pixel counts are 0..=16).
pub const MAX_PIXEL: f64 = 16.0;

/// A set of digit images with labels.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Digits {
    /// Pixel values 0..=16, `len × 64`, row-major per image.
    pub pixels: Vec<f64>,
    /// Class labels 0..=9.
    pub labels: Vec<usize>,
}

impl Digits {
    /// The copy committed with brainburn (`data/digits.csv.gz` in the source tree).
    pub fn bundled_path() -> &'static Path {
        Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/data/digits.csv.gz"))
    }

    /// Loads the bundled copy.
    pub fn load_bundled() -> Result<Self> {
        Self::load(Self::bundled_path())
    }

    /// Loads a gzip-compressed CSV without header: 64 pixel columns (0..=16), then the label.
    /// Errors name the file and the line.
    pub fn load(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
        let mut text = String::new();
        flate2::read::GzDecoder::new(file)
            .read_to_string(&mut text)
            .map_err(|e| Error::BadFile {
                path: path.display().to_string(),
                reason: format!("not a gzip-compressed text file: {e}"),
            })?;
        Self::parse_csv(&text, &path.display().to_string())
    }

    /// Parses the CSV text (`origin` names it in errors).
    pub fn parse_csv(text: &str, origin: &str) -> Result<Self> {
        let bad = |line: usize, reason: String| Error::BadFile {
            path: origin.to_string(),
            reason: format!("line {line}: {reason}"),
        };
        let mut rdr = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(text.as_bytes());
        let mut out = Digits::default();
        for (i, rec) in rdr.records().enumerate() {
            let line = i + 1;
            let rec = rec.map_err(|e| bad(line, e.to_string()))?;
            if rec.len() != PIXELS + 1 {
                return Err(bad(
                    line,
                    format!(
                        "{} columns, expected {} (64 pixels and a label)",
                        rec.len(),
                        PIXELS + 1
                    ),
                ));
            }
            for (c, field) in rec.iter().enumerate() {
                let v: f64 = field
                    .trim()
                    .parse()
                    .map_err(|_| bad(line, format!("column {c}: `{field}` is not a number")))?;
                if c < PIXELS {
                    if !(0.0..=MAX_PIXEL).contains(&v) {
                        return Err(bad(line, format!("pixel {c} = {v} is outside 0..=16")));
                    }
                    out.pixels.push(v);
                } else {
                    if v.fract() != 0.0 || !(0.0..CLASSES as f64).contains(&v) {
                        return Err(bad(line, format!("label {v} is not a digit 0..=9")));
                    }
                    out.labels.push(v as usize);
                }
            }
        }
        if out.labels.is_empty() {
            return Err(Error::BadFile {
                path: origin.to_string(),
                reason: "no samples".into(),
            });
        }
        Ok(out)
    }

    /// Number of samples.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether there are no samples.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// The samples at `indices`, in that order.
    pub fn subset(&self, indices: &[usize]) -> Result<Self> {
        let mut out = Digits::default();
        for &i in indices {
            if i >= self.len() {
                return Err(Error::arg(
                    "indices",
                    format!("sample {i} out of range for {} samples", self.len()),
                ));
            }
            out.pixels
                .extend_from_slice(&self.pixels[i * PIXELS..(i + 1) * PIXELS]);
            out.labels.push(self.labels[i]);
        }
        Ok(out)
    }

    /// A seeded shuffled split: `(train, test)` with `round(test_fraction · len)` test samples.
    pub fn split(&self, test_fraction: f64, seed: u64) -> Result<(Self, Self)> {
        if !(test_fraction > 0.0 && test_fraction < 1.0) {
            return Err(Error::arg(
                "test_fraction",
                format!("must be in (0, 1), got {test_fraction}"),
            ));
        }
        let mut idx: Vec<usize> = (0..self.len()).collect();
        idx.shuffle(&mut StdRng::seed_from_u64(seed));
        let n_test = ((self.len() as f64) * test_fraction).round() as usize;
        let (test, train) = idx.split_at(n_test);
        Ok((self.subset(train)?, self.subset(test)?))
    }

    /// A seeded permutation of `0..len` (for shuffling mini-batches each epoch).
    pub fn permutation(&self, seed: u64) -> Vec<usize> {
        let mut idx: Vec<usize> = (0..self.len()).collect();
        idx.shuffle(&mut StdRng::seed_from_u64(seed));
        idx
    }

    /// Current encoding: the pixels of `indices` scaled to 0..=1, `[indices.len(), 64]` (the
    /// same input current at every step).
    pub fn currents(&self, indices: &[usize], ctx: &Ctx) -> Result<Tensor<2>> {
        let s = self.subset(indices)?;
        let v: Vec<f64> = s.pixels.iter().map(|p| p / MAX_PIXEL).collect();
        Ok(ctx.tensor(v, [indices.len(), PIXELS]))
    }

    /// Rate encoding: one `[indices.len(), 64]` spike tensor per step; pixel `p` fires with
    /// probability `max_prob · p/16` per step, drawn on the host from the counter-based stream
    /// `(seed, step)` so that every backend sees the same spikes.
    pub fn spike_trains(
        &self,
        indices: &[usize],
        steps: usize,
        max_prob: f64,
        seed: u64,
        ctx: &Ctx,
    ) -> Result<Vec<Tensor<2>>> {
        if !(0.0..=1.0).contains(&max_prob) {
            return Err(Error::arg(
                "max_prob",
                format!("must be a probability, got {max_prob}"),
            ));
        }
        let s = self.subset(indices)?;
        let n = s.pixels.len();
        Ok((0..steps)
            .map(|k| {
                let u = step_uniforms(seed, k as u64, n);
                let v: Vec<f64> = s
                    .pixels
                    .iter()
                    .zip(u)
                    .map(|(p, u)| f64::from(u8::from(u < max_prob * p / MAX_PIXEL)))
                    .collect();
                Tensor::from_data(
                    TensorData::new(v, [indices.len(), PIXELS]).convert_dtype(ctx.dtype()),
                    (&ctx.device, ctx.dtype()),
                )
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_digits_load_and_split_reproducibly() {
        let d = Digits::load_bundled().unwrap();
        assert_eq!(d.len(), 1797);
        assert_eq!(d.pixels.len(), 1797 * PIXELS);
        let mut per_class = [0usize; CLASSES];
        for &l in &d.labels {
            per_class[l] += 1;
        }
        assert!(
            per_class.iter().all(|&n| (170..=190).contains(&n)),
            "{per_class:?}"
        );
        let (train, test) = d.split(0.2, 42).unwrap();
        assert_eq!((train.len(), test.len()), (1438, 359));
        let (train2, test2) = d.split(0.2, 42).unwrap();
        assert_eq!((train, test.clone()), (train2, test2));
        let (_, other) = d.split(0.2, 43).unwrap();
        assert_ne!(other, test);
    }

    #[test]
    fn bad_csv_lines_are_named() {
        let row = |label: &str, px: &str| {
            let mut v = vec!["0"; PIXELS];
            v[3] = px;
            format!("{},{label}\n", v.join(","))
        };
        let ok = row("7", "16");
        assert_eq!(Digits::parse_csv(&ok, "t").unwrap().labels, vec![7]);
        for (text, want) in [
            (format!("{ok}{}", row("10", "0")), "line 2: label 10"),
            (format!("{ok}{}", row("3", "17")), "line 2: pixel 3 = 17"),
            (format!("{ok}{}", row("3", "x")), "line 2: column 3"),
            (format!("{ok}1,2,3\n"), "line 2"),
            (String::new(), "no samples"),
        ] {
            let e = Digits::parse_csv(&text, "t").unwrap_err().to_string();
            assert!(e.contains(want), "{e} does not contain {want}");
        }
        assert!(Digits::load("/nonexistent/digits.csv.gz").is_err());
        let d = Digits::parse_csv(&ok, "t").unwrap();
        assert!(d.split(1.5, 0).is_err());
        assert!(d.subset(&[1]).is_err());
    }
}
