//! Grouped bins of a spectrum (GROUPING/QUALITY), grppha's `group min N`, and XSPEC's
//! `ignore`/`notice` ranges in channels (1-based grouped bins) or energies (keV).

use crate::error::{Error, Result, SpectralError};
use crate::spectral::ogip::pha::Spectrum;

/// The grouped bins of a spectrum.
#[derive(Debug, Clone, PartialEq)]
pub struct Bins {
    /// Channel indices (0-based into the spectrum's arrays) of each bin; channels with
    /// QUALITY 1 or 5 (bad) are left out.
    pub members: Vec<Vec<usize>>,
    /// Quality of each bin: the largest of its channels'.
    pub quality: Vec<i16>,
    /// First and last channel index of each bin (bad channels included), for energies.
    pub span: Vec<(usize, usize)>,
}

fn bad(q: i16) -> bool {
    q == 1 || q == 5
}

impl Bins {
    /// Bins from the spectrum's GROUPING (+1 starts a bin, −1 continues it).
    pub fn of(sp: &Spectrum) -> Bins {
        let mut b = Bins {
            members: Vec::new(),
            quality: Vec::new(),
            span: Vec::new(),
        };
        for i in 0..sp.len() {
            if i == 0 || sp.grouping[i] >= 0 {
                b.members.push(Vec::new());
                b.quality.push(0);
                b.span.push((i, i));
            }
            let k = b.members.len() - 1;
            b.span[k].1 = i;
            b.quality[k] = b.quality[k].max(sp.quality[i]);
            if !bad(sp.quality[i]) {
                b.members[k].push(i);
            }
        }
        b
    }

    /// Number of bins.
    pub fn len(&self) -> usize {
        self.members.len()
    }

    /// True when there are no bins.
    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    /// Sum a per-channel quantity over each bin's members.
    pub fn sum(&self, per_channel: &[f64]) -> Vec<f64> {
        self.members
            .iter()
            .map(|m| m.iter().map(|&i| per_channel[i]).sum())
            .collect()
    }

    /// Bins noticed at load: all but those whose every channel is bad.
    pub fn initially_noticed(&self) -> Vec<bool> {
        self.members.iter().map(|m| !m.is_empty()).collect()
    }
}

/// grppha `group min N`: returns (GROUPING, QUALITY). Bad channels are absorbed into the
/// group being built without adding counts; a tail that never reaches N is left as
/// single-channel groups with QUALITY 2 where it was 0.
pub fn group_min(counts: &[f64], quality: &[i16], min: f64) -> (Vec<i16>, Vec<i16>) {
    let n = counts.len();
    let mut g = vec![1i16; n];
    let mut q = quality.to_vec();
    let mut i = 0;
    while i < n {
        if quality[i] != 0 {
            g[i] = 1;
            i += 1;
            continue;
        }
        let mut sum = counts[i];
        let mut j = i;
        while sum < min && j + 1 < n {
            j += 1;
            if quality[j] == 0 {
                sum += counts[j];
            }
        }
        if sum >= min {
            g[i] = 1;
            for x in g.iter_mut().take(j + 1).skip(i + 1) {
                *x = -1;
            }
            i = j + 1;
        } else {
            for k in i..n {
                g[k] = 1;
                if q[k] == 0 {
                    q[k] = 2;
                }
            }
            break;
        }
    }
    (g, q)
}

/// One range of an ignore/notice command.
#[derive(Debug, Clone, PartialEq)]
pub enum Range {
    /// Grouped-bin numbers, 1-based inclusive (open ends as i64::MIN/MAX).
    Channels(i64, i64),
    /// Energies in keV (open ends as ±infinity).
    Energies(f64, f64),
    /// `bad`: bins with quality > 0.
    Bad,
}

/// A parsed ignore/notice argument list: (spectrum range or None for all, ranges).
pub type Selection = Vec<(Option<(usize, usize)>, Vec<Range>)>;

fn parse_end(s: &str, energy: bool, low: bool) -> Result<(f64, bool)> {
    let t = s.trim();
    if t == "**" || t.is_empty() {
        return Ok((
            if low {
                f64::NEG_INFINITY
            } else {
                f64::INFINITY
            },
            energy,
        ));
    }
    let v: f64 = t.parse().map_err(|_| {
        Error::from(SpectralError::BadRange {
            text: t.to_string(),
            expected: "a channel or an energy".into(),
        })
    })?;
    Ok((v, energy || t.contains('.')))
}

fn parse_range(r: &str) -> Result<Range> {
    let r = r.trim();
    if r.eq_ignore_ascii_case("bad") {
        return Ok(Range::Bad);
    }
    if r == "**" {
        return Ok(Range::Channels(i64::MIN, i64::MAX));
    }
    // a '-' that separates two ends: not a leading sign nor an exponent's sign
    // (byte offsets from `char_indices`, so a non-ASCII character is never cut)
    let mut prev: Option<char> = None;
    let split = r.char_indices().find_map(|(i, c)| {
        let found = c == '-' && prev.is_some_and(|p| !matches!(p, 'e' | 'E'));
        prev = Some(c);
        found.then_some(i)
    });
    let (a, b) = match split {
        Some(i) => (r[..i].to_string(), r[i + 1..].to_string()),
        None => (r.to_string(), r.to_string()),
    };
    let energy = a.contains('.') || b.contains('.');
    let (lo, e1) = parse_end(&a, energy, true)?;
    let (hi, e2) = parse_end(&b, energy, false)?;
    if e1 || e2 {
        Ok(Range::Energies(lo, hi))
    } else {
        let c = |v: f64| {
            if v.is_infinite() {
                if v < 0.0 {
                    i64::MIN
                } else {
                    i64::MAX
                }
            } else {
                v as i64
            }
        };
        Ok(Range::Channels(c(lo), c(hi)))
    }
}

/// Parse the arguments of `ignore`/`notice` (`1:1-25`, `**-3.0 79.0-**`,
/// `1-2:**-3. 150.-**`, `bad`). A spectrum selector stays in force for the ranges after it.
pub fn parse_selection(text: &str) -> Result<Selection> {
    let mut out: Selection = Vec::new();
    let mut current: Option<(usize, usize)> = None;
    for word in text.split_whitespace() {
        let (spec, ranges) = match word.split_once(':') {
            Some((s, r)) => (Some(s), r),
            None => (None, word),
        };
        if let Some(s) = spec {
            current = if s == "**" {
                None
            } else {
                let (a, b) = s.split_once('-').unwrap_or((s, s));
                let a: usize = a.trim().parse().map_err(|_| {
                    Error::from(SpectralError::BadRange {
                        text: s.to_string(),
                        expected: "a spectrum number or range".into(),
                    })
                })?;
                let b: usize = if b.trim() == "**" {
                    usize::MAX
                } else {
                    b.trim().parse().map_err(|_| {
                        Error::from(SpectralError::BadRange {
                            text: s.to_string(),
                            expected: "a spectrum range".into(),
                        })
                    })?
                };
                Some((a, b))
            };
        }
        let rs: Vec<Range> = ranges
            .split(',')
            .filter(|r| !r.trim().is_empty())
            .map(parse_range)
            .collect::<Result<_>>()?;
        if !rs.is_empty() {
            out.push((current, rs));
        }
    }
    Ok(out)
}

/// Set `noticed` to `value` for the bins a range selects. Energy ranges use the bins'
/// nominal bounds (`lo[b]` = E_MIN of its first channel, `hi[b]` = E_MAX of its last): the
/// selection runs from the first bin whose upper bound reaches E1 to the first bin whose
/// upper bound reaches E2, so a bin straddling an end is included (XSPEC 12's rule).
pub fn apply(
    range: &Range,
    bins: &Bins,
    e_lo: &[f64],
    e_hi: &[f64],
    noticed: &mut [bool],
    value: bool,
) {
    let n = bins.len();
    if n == 0 {
        return;
    }
    match *range {
        Range::Bad => {
            for (b, nt) in noticed.iter_mut().enumerate() {
                if bins.quality[b] > 0 {
                    *nt = value;
                }
            }
        }
        Range::Channels(a, b) => {
            let a = a.max(1);
            let b = b.min(n as i64);
            for k in a..=b {
                noticed[(k - 1) as usize] = value;
            }
        }
        Range::Energies(a, b) => {
            if e_lo.is_empty() {
                return;
            }
            // as XSPEC (SpectralData::setChannels): a reversed range is swapped
            let (e1, e2) = if a > b { (b, a) } else { (a, b) };
            let lo = |b: usize| e_lo[bins.span[b].0];
            let hi = |b: usize| e_hi[bins.span[b].1];
            if !(e2 > lo(0) && e1 <= hi(n - 1)) {
                return;
            }
            let Some(first) = (0..n).find(|&b| hi(b) >= e1) else {
                return;
            };
            let last = (first..n).find(|&b| hi(b) >= e2).unwrap_or(n - 1);
            for nt in &mut noticed[first..=last] {
                *nt = value;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_ascii_range_is_refused_not_sliced() {
        // a multi-byte character before the '-' once cut a char in half (panic)
        for text in ["1é-5", "é-5", "1-é", "éé–3", "1:ü-2", "2-3é-4"] {
            let e = parse_selection(text).unwrap_err();
            assert!(e.to_string().contains("is not"), "{text}: {e}");
        }
        assert_eq!(
            parse_selection("é").unwrap_err().to_string(),
            "'é' is not a channel or an energy"
        );
    }

    #[test]
    fn selections() {
        let s = parse_selection("1:1-25 **-3.0 79.0-**").unwrap();
        assert_eq!(s[0], (Some((1, 1)), vec![Range::Channels(1, 25)]));
        assert_eq!(
            s[1],
            (Some((1, 1)), vec![Range::Energies(f64::NEG_INFINITY, 3.0)])
        );
        assert_eq!(s[2].1, vec![Range::Energies(79.0, f64::INFINITY)]);
        let s = parse_selection("1-2:**-3.,150.-** bad").unwrap();
        assert_eq!(s[0].0, Some((1, 2)));
        assert_eq!(s[0].1.len(), 2);
        assert_eq!(s[1].1, vec![Range::Bad]);
        assert!(parse_selection("1:a-b").is_err());
    }

    #[test]
    fn group_min_30() {
        let counts = [10.0, 10.0, 15.0, 40.0, 0.0, 29.0, 5.0, 3.0];
        let (g, q) = group_min(&counts, &[0; 8], 30.0);
        assert_eq!(g, vec![1, -1, -1, 1, 1, -1, -1, 1]);
        assert_eq!(q, vec![0, 0, 0, 0, 0, 0, 0, 2]);
        // bad channels are swallowed without adding counts
        let (g, _) = group_min(&[20.0, 100.0, 20.0], &[0, 1, 0], 30.0);
        assert_eq!(g, vec![1, -1, -1]);
    }
}
