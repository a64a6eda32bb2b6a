//! Instrument map of one observation: the CALDB map of active DET1 sub-pixels, with every
//! pixel the observation's bad-pixel lists mark bad removed, labelled by detector.
//!
//! Output: 360×360 DET1 image, 0 = inactive or bad, 1..4 = DET0..DET3.
//!
//! Registration: the CALDB map is shifted by (−1, −1) like the pixel-ownership maps, as
//! the IDL original does (the Python port shifts only the ownership maps, leaving its
//! bad-pixel holes one DET1 pixel off).

use crate::error::{Error, Result};
use crate::io::fits::Fits;
use crate::io::image::Image;
use crate::io::output::Output;
use crate::nustar::badpix::{read_badpix, BadPixels};
use crate::nustar::caldb::Caldb;
use crate::nustar::events::EventFile;
use crate::nustar::pixpos::{PixelMap, N};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Inputs of one mkinstrmap run.
pub struct InstrmapRequest {
    /// Event file (EVENTS header gives module and DATE-OBS; its BADPIX extensions are used).
    pub evt: PathBuf,
    /// User bad-pixel files.
    pub usrbpix: Vec<PathBuf>,
    /// Output file.
    pub out: Output,
    /// The CALDB (required: the instrument map comes from it).
    pub caldb: Option<Caldb>,
    /// Auxiliary directory, for the IDL ownership maps when the CALDB has no PIXPOS.
    pub auxil: Option<PathBuf>,
}

/// What a run did.
#[derive(Debug, Clone)]
pub struct InstrmapSummary {
    pub out: PathBuf,
    /// Where the RAW→DET1 map came from.
    pub pixmap_source: String,
    /// (file, rows read, bad pixels listed, DET1 sub-pixels removed).
    pub sources: Vec<(PathBuf, usize, usize, usize)>,
    /// Active DET1 sub-pixels per detector in the result.
    pub active: [usize; 4],
}

/// Read the CALDB instrument map (HDU named INSTRMAP, else the first 2-D image).
fn read_caldb_instrmap(path: &Path) -> Result<(Image, Vec<String>)> {
    let mut f = Fits::open(path)?;
    if !f.try_goto_named("INSTRMAP")? {
        let mut found = false;
        for h in 1..=f.num_hdus()? {
            f.goto_hdu(h)?;
            if f.opt_key_i64("NAXIS")? == Some(2) {
                found = true;
                break;
            }
        }
        if !found {
            return Err(Error::file(path, "no INSTRMAP image"));
        }
    }
    let img = f.read_image()?;
    if (img.nx, img.ny) != (N, N) {
        return Err(Error::file(
            path,
            format!(
                "instrument map must be 360x360, found {}x{}",
                img.nx, img.ny
            ),
        ));
    }
    Ok((img, f.cards()?))
}

/// Build and write `newinstrmap{M}.fits`.
pub fn mkinstrmap(req: &InstrmapRequest) -> Result<InstrmapSummary> {
    req.out.check()?;
    let ev = EventFile::open(&req.evt)?;
    let m = ev.module;
    let ins = m.instrume();
    let date = ev
        .cards
        .iter()
        .find(|c| c.starts_with("DATE-OBS"))
        .and_then(|c| c.split('\'').nth(1))
        .map(|s| s.trim().to_string())
        .ok_or_else(|| Error::file(&req.evt, "keyword DATE-OBS missing in EVENTS"))?;
    let caldb = req.caldb.as_ref().ok_or_else(|| {
        Error::msg("$CALDB is not set: the instrument map comes from the CALDB (INSTRMAP)")
    })?;
    let imap_file = caldb.lookup("INSTRMAP", &ins, None, &date)?;
    let (caldb_map, cards) = read_caldb_instrmap(&imap_file.path)?;

    let (pm, pixmap_source) = match caldb.lookup("PIXPOS", &ins, Some("DET0"), &date) {
        Ok(f) => (
            PixelMap::from_pixpos(&f.path)?,
            f.path.display().to_string(),
        ),
        Err(e) => match &req.auxil {
            Some(a) => (
                PixelMap::from_auxil(a, m)?,
                format!("{} (auxil IDL maps; CALDB: {e})", a.display()),
            ),
            None => return Err(e),
        },
    };

    let mut lists: Vec<BadPixels> = Vec::new();
    let mut files = vec![req.evt.clone()];
    files.extend(req.usrbpix.iter().cloned());
    if let Ok(f) = caldb.lookup("BADPIX", &ins, Some("DET0"), &date) {
        files.push(f.path);
    }
    for f in &files {
        match read_badpix(f, m)? {
            Some(b) => lists.push(b),
            None => eprintln!(
                "mkinstrmap: {}: bad pixels for the other module, skipped",
                f.display()
            ),
        }
    }

    // DET1 sub-pixels of each (detector, raw pixel)
    let mut owned: HashMap<(i32, i32), Vec<usize>> = HashMap::new();
    for k in 0..N * N {
        if pm.pixmap[k] >= 0 && pm.detnum[k] >= 0 {
            owned
                .entry((pm.detnum[k], pm.pixmap[k]))
                .or_default()
                .push(k);
        }
    }
    // (−1, −1) shift of the CALDB map: new[y][x] = old[y+1][x+1]
    let mut out = Image::zeros(N, N);
    for y in 0..N - 1 {
        for x in 0..N - 1 {
            out.data[y * N + x] = caldb_map.data[(y + 1) * N + x + 1];
        }
    }
    let mut sources = Vec::new();
    for b in &lists {
        let mut removed = 0;
        for p in &b.pixels {
            if let Some(ks) = owned.get(&(p.det as i32, p.rawx as i32 + 32 * p.rawy as i32)) {
                for &k in ks {
                    if out.data[k] > 0.0 {
                        removed += 1;
                    }
                    out.data[k] = 0.0;
                }
            }
        }
        sources.push((b.file.clone(), b.rows, b.pixels.len(), removed));
    }
    let mut active = [0usize; 4];
    for k in 0..N * N {
        if out.data[k] > 0.0 && (0..4).contains(&pm.detnum[k]) {
            out.data[k] = (pm.detnum[k] + 1) as f64;
            active[pm.detnum[k] as usize] += 1;
        } else {
            out.data[k] = 0.0;
        }
    }
    req.out.write_fits(|f| {
        f.write_image(&out, -64)?;
        f.copy_cards(&cards, &["EXTNAME"])?;
        f.set_key_str("EXTNAME", "INSTRMAP", "0 = inactive/bad, 1-4 = DET0-DET3")?;
        f.set_key_str("TELESCOP", "NuSTAR", "")?;
        f.set_key_str("INSTRUME", &ins, "")?;
        f.write_date()?;
        f.history(&format!(
            "nuskybgd mkinstrmap: instrument map from {}",
            imap_file.path.display()
        ))?;
        f.history(&format!("RAW->DET1 map from {pixmap_source}"))?;
        for (file, rows, bad, removed) in &sources {
            f.history(&format!(
                "bad pixels: {} ({rows} rows, {bad} bad, {removed} DET1 px removed)",
                file.display()
            ))?;
        }
        Ok(())
    })?;
    Ok(InstrmapSummary {
        out: req.out.path.clone(),
        pixmap_source,
        sources,
        active,
    })
}
