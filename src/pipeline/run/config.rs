//! A run's configuration, `nuskybgd.toml`: what `init` found and every default, as a
//! commented file the user edits; read back with every path resolved from the file's own
//! folder and every unknown key refused by name.

use crate::error::{PipelineError, Result};
use crate::io::figure::Format;
use crate::nustar::module::Module;
use crate::spectral::stat::Statistic;
use crate::tasks::getspec::Grouping;
use std::path::{Path, PathBuf};
use toml::{Table, Value};

/// Name of the configuration file `init` writes in the work folder.
pub const CONFIG_NAME: &str = "nuskybgd.toml";

/// The regions of one module: background (source-free) and source regions, ds9 files.
#[derive(Debug, Clone, PartialEq)]
pub struct ModuleRegions {
    pub module: Module,
    pub background: Vec<PathBuf>,
    pub source: Vec<PathBuf>,
}

/// How the fcxb norms of the background spectra are tied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FcxbLinks {
    /// Module B's spectrum of a region takes module A's norm for the same region (the
    /// port's README example).
    Modules,
    /// Every fcxb norm free.
    None,
}

/// A parsed configuration; paths are absolute.
#[derive(Debug, Clone, PartialEq)]
pub struct RunConfig {
    /// The configuration file.
    pub path: PathBuf,
    /// Where every product goes (the originals' `event_cl/bgd`).
    pub workdir: PathBuf,
    pub obsid: String,
    /// The folder of the cleaned event, DET1 and GTI files.
    pub event_cl: PathBuf,
    /// Regions per module, in module order; a module listed here is analysed.
    pub regions: Vec<ModuleRegions>,
    /// Band of the counts and model images (keV).
    pub band: (f64, f64),
    pub statistic: Statistic,
    /// Keep the solar (soft apec) component free; false switches it off as the originals'
    /// default.
    pub solar: bool,
    pub fix_line_ratios: bool,
    pub fcxb_links: FcxbLinks,
    /// Grouping of every extracted spectrum.
    pub grouping: Grouping,
    /// Format of every figure the run draws (PNG unless asked for SVG).
    pub figures: Format,
}

impl RunConfig {
    /// The modules analysed.
    pub fn modules(&self) -> Vec<Module> {
        self.regions.iter().map(|r| r.module).collect()
    }

    /// Read and check a configuration file: every key known, every value of its kind,
    /// every region file present.
    pub fn read(path: &Path) -> Result<RunConfig> {
        let text = std::fs::read_to_string(path).map_err(|source| PipelineError::ConfigRead {
            path: path.into(),
            source,
        })?;
        let path = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
        let table: Table =
            text.parse()
                .map_err(|e: toml::de::Error| PipelineError::ConfigSyntax {
                    path: path.clone(),
                    msg: e.message().to_string(),
                })?;
        let r = Reader {
            path: &path,
            base: path.parent().unwrap_or(Path::new(".")).to_path_buf(),
        };
        r.known(
            &table,
            "",
            &["observation", "regions", "images", "fit", "run"],
        )?;
        let cfg = r.config(&table)?;
        r.check_files(&cfg)?;
        Ok(cfg)
    }

    /// The values a step depends on, as stable text (a change reruns the step).
    pub fn section(&self, name: &str) -> String {
        match name {
            "images" => format!("band {} {}", self.band.0, self.band.1),
            "spectra" => format!("grouping {:?}", self.grouping),
            "figures" => format!("format {}", self.figures.ext()),
            "image figures" => format!("{} format {}", self.section("images"), self.figures.ext()),
            "fit" => format!(
                "statistic {} solar {} fix_line_ratios {} fcxb_links {:?}",
                self.statistic, self.solar, self.fix_line_ratios, self.fcxb_links
            ),
            _ => String::new(),
        }
    }
}

/// Reads one file's table, naming the file in every refusal.
struct Reader<'a> {
    path: &'a Path,
    /// The file's folder: relative paths are resolved from it.
    base: PathBuf,
}

impl Reader<'_> {
    fn config(&self, t: &Table) -> Result<RunConfig> {
        let obs = self.table(t, "observation")?;
        self.known(obs, "observation.", &["obsid", "event_cl", "modules"])?;
        let run = self.opt_table(t, "run")?;
        self.known(run, "run.", &["workdir", "figures"])?;
        let modules = self.modules(obs)?;
        RunConfig {
            path: self.path.to_path_buf(),
            workdir: self
                .opt_path(run, "run.workdir", "workdir")?
                .unwrap_or(self.base.clone()),
            obsid: self.string(obs, "observation.obsid", "obsid")?,
            event_cl: self.required_path(obs, "observation.event_cl", "event_cl")?,
            regions: self.regions(self.opt_table(t, "regions")?, &modules)?,
            band: self.band(self.opt_table(t, "images")?)?,
            statistic: Statistic::Chi,
            solar: false,
            fix_line_ratios: true,
            fcxb_links: FcxbLinks::Modules,
            grouping: Grouping::Min(30),
            figures: self.figures(run)?,
        }
        .with_fit(self, self.opt_table(t, "fit")?)
    }

    fn known(&self, t: &Table, prefix: &str, keys: &[&str]) -> Result<()> {
        match t.keys().find(|k| !keys.contains(&k.as_str())) {
            Some(k) => Err(PipelineError::ConfigUnknownKey {
                path: self.path.into(),
                key: format!("{prefix}{k}"),
            }
            .into()),
            None => Ok(()),
        }
    }

    fn value_err(&self, key: &str, hint: &str) -> crate::Error {
        PipelineError::ConfigValue {
            path: self.path.into(),
            key: key.into(),
            hint: hint.into(),
        }
        .into()
    }

    fn table<'t>(&self, t: &'t Table, key: &str) -> Result<&'t Table> {
        match t.get(key) {
            Some(Value::Table(x)) => Ok(x),
            Some(_) => Err(self.value_err(key, "must be a section [..]")),
            None => Err(PipelineError::ConfigMissing {
                path: self.path.into(),
                key: key.into(),
            }
            .into()),
        }
    }

    fn opt_table<'t>(&self, t: &'t Table, key: &str) -> Result<&'t Table> {
        static EMPTY: std::sync::OnceLock<Table> = std::sync::OnceLock::new();
        match t.get(key) {
            None => Ok(EMPTY.get_or_init(Table::new)),
            Some(_) => self.table(t, key),
        }
    }

    fn string(&self, t: &Table, full: &str, key: &str) -> Result<String> {
        match t.get(key) {
            Some(Value::String(s)) => Ok(s.clone()),
            Some(_) => Err(self.value_err(full, "must be a string in quotes")),
            None => Err(PipelineError::ConfigMissing {
                path: self.path.into(),
                key: full.into(),
            }
            .into()),
        }
    }

    fn resolve(&self, p: &str) -> PathBuf {
        let p = Path::new(p);
        let joined = if p.is_absolute() {
            p.to_path_buf()
        } else {
            self.base.join(p)
        };
        // `..` resolved where the file exists, so paths read as the user wrote them
        std::fs::canonicalize(&joined)
            .or_else(|_| std::path::absolute(&joined))
            .unwrap_or(joined)
    }

    fn opt_path(&self, t: &Table, full: &str, key: &str) -> Result<Option<PathBuf>> {
        match t.get(key) {
            None => Ok(None),
            Some(_) => Ok(Some(self.resolve(&self.string(t, full, key)?))),
        }
    }

    fn required_path(&self, t: &Table, full: &str, key: &str) -> Result<PathBuf> {
        Ok(self.resolve(&self.string(t, full, key)?))
    }

    fn figures(&self, run: &Table) -> Result<Format> {
        if !run.contains_key("figures") {
            return Ok(Format::Png);
        }
        match self.string(run, "run.figures", "figures")?.as_str() {
            "png" => Ok(Format::Png),
            "svg" => Ok(Format::Svg),
            _ => Err(self.value_err("run.figures", "use \"png\" or \"svg\"")),
        }
    }

    fn bool(&self, t: &Table, full: &str, key: &str, default: bool) -> Result<bool> {
        match t.get(key) {
            None => Ok(default),
            Some(Value::Boolean(b)) => Ok(*b),
            Some(_) => Err(self.value_err(full, "must be true or false")),
        }
    }

    fn modules(&self, obs: &Table) -> Result<Vec<Module>> {
        let err = || {
            self.value_err(
                "observation.modules",
                "must be a list of \"A\" and/or \"B\"",
            )
        };
        let list = match obs.get("modules") {
            None => return Ok(Module::ALL.to_vec()),
            Some(Value::Array(a)) => a,
            Some(_) => return Err(err()),
        };
        let mut out = Vec::new();
        for v in list {
            let m = v
                .as_str()
                .and_then(|s| s.chars().next().filter(|_| s.len() == 1))
                .and_then(Module::from_letter)
                .ok_or_else(err)?;
            if !out.contains(&m) {
                out.push(m);
            }
        }
        if out.is_empty() {
            return Err(err());
        }
        Ok(out)
    }

    fn path_list(&self, t: &Table, full: &str, key: &str) -> Result<Option<Vec<PathBuf>>> {
        let err = || self.value_err(full, "must be a list of region file names in quotes");
        match t.get(key) {
            None => Ok(None),
            Some(Value::Array(a)) => a
                .iter()
                .map(|v| v.as_str().map(|s| self.resolve(s)).ok_or_else(err))
                .collect::<Result<Vec<_>>>()
                .map(Some),
            Some(_) => Err(err()),
        }
    }

    /// `[regions]`: `background`/`source` for every module, or `A.background` … per module
    /// (a module's own list wins).
    fn regions(&self, t: &Table, modules: &[Module]) -> Result<Vec<ModuleRegions>> {
        self.known(t, "regions.", &["background", "source", "A", "B"])?;
        let both_bgd = self.path_list(t, "regions.background", "background")?;
        let both_src = self.path_list(t, "regions.source", "source")?;
        let mut out = Vec::new();
        for &m in modules {
            let l = m.letter();
            let own = self.opt_table(t, l)?;
            let prefix = format!("regions.{l}.");
            self.known(own, &prefix, &["background", "source"])?;
            let bgd = self.path_list(own, &format!("{prefix}background"), "background")?;
            let src = self.path_list(own, &format!("{prefix}source"), "source")?;
            let background = bgd.or(both_bgd.clone()).unwrap_or_default();
            if background.is_empty() {
                return Err(PipelineError::ConfigMissing {
                    path: self.path.into(),
                    key: format!("regions.{l}.background (or regions.background)"),
                }
                .into());
            }
            out.push(ModuleRegions {
                module: m,
                background,
                source: src.or(both_src.clone()).unwrap_or_default(),
            });
        }
        Ok(out)
    }

    fn band(&self, t: &Table) -> Result<(f64, f64)> {
        self.known(t, "images.", &["band"])?;
        let err = || self.value_err("images.band", "must be [ELOW, EHIGH] in keV, ELOW < EHIGH");
        let Some(v) = t.get("band") else {
            return Ok((3.0, 20.0));
        };
        let num = |v: &Value| v.as_float().or_else(|| v.as_integer().map(|i| i as f64));
        match v.as_array().map(|a| a.iter().map(num).collect::<Vec<_>>()) {
            Some(b) if b.len() == 2 => match (b[0], b[1]) {
                (Some(lo), Some(hi)) if lo < hi && lo > 0.0 => Ok((lo, hi)),
                _ => Err(err()),
            },
            _ => Err(err()),
        }
    }

    /// Every region file exists (checked before anything runs).
    fn check_files(&self, cfg: &RunConfig) -> Result<()> {
        let missing = |key: String, listed: &Path| -> crate::Error {
            PipelineError::ConfigFileMissing {
                path: self.path.into(),
                key,
                listed: listed.into(),
            }
            .into()
        };
        if !cfg.event_cl.is_dir() {
            return Err(missing("observation.event_cl".into(), &cfg.event_cl));
        }
        for r in &cfg.regions {
            for (kind, list) in [("background", &r.background), ("source", &r.source)] {
                if let Some(f) = list.iter().find(|f| !f.is_file()) {
                    return Err(missing(format!("regions.{}.{kind}", r.module.letter()), f));
                }
            }
        }
        Ok(())
    }
}

impl RunConfig {
    /// Apply `[fit]` (statistic, solar, fix_line_ratios, fcxb_links, grouping).
    fn with_fit(mut self, r: &Reader, t: &Table) -> Result<RunConfig> {
        r.known(
            t,
            "fit.",
            &[
                "statistic",
                "solar",
                "fix_line_ratios",
                "fcxb_links",
                "grouping",
            ],
        )?;
        if t.contains_key("statistic") {
            let s = r.string(t, "fit.statistic", "statistic")?;
            self.statistic = Statistic::parse(&s)
                .ok_or_else(|| r.value_err("fit.statistic", "use \"chi\" or \"cstat\""))?;
        }
        self.solar = r.bool(t, "fit.solar", "solar", false)?;
        self.fix_line_ratios = r.bool(t, "fit.fix_line_ratios", "fix_line_ratios", true)?;
        if t.contains_key("fcxb_links") {
            self.fcxb_links = match r.string(t, "fit.fcxb_links", "fcxb_links")?.as_str() {
                "modules" => FcxbLinks::Modules,
                "none" => FcxbLinks::None,
                _ => return Err(r.value_err("fit.fcxb_links", "use \"modules\" or \"none\"")),
            };
        }
        self.grouping = match t.get("grouping") {
            None => Grouping::Min(30),
            Some(Value::Integer(n)) if (1..=100_000).contains(n) => Grouping::Min(*n as u32),
            Some(Value::String(s)) if s == "optimal" => Grouping::Optimal,
            Some(_) => {
                return Err(r.value_err(
                    "fit.grouping",
                    "a minimum number of counts per group (1-100000) or \"optimal\"",
                ))
            }
        };
        Ok(self)
    }
}

/// The commented text `init` writes for `cfg` (paths written relative to `base`, the
/// file's folder, where they can be).
pub fn config_text(cfg: &RunConfig, base: &Path, found: &[String]) -> String {
    let rel = |p: &Path| relative(p, base);
    let list = |v: &[PathBuf]| {
        let items: Vec<String> = v.iter().map(|p| format!("\"{}\"", rel(p))).collect();
        format!("[{}]", items.join(", "))
    };
    let mut t = String::new();
    t += "# nuskybgd run configuration, written by `nuskybgd init`; run it with\n";
    t += &format!("#   nuskybgd run {}\n", CONFIG_NAME);
    t += "# Paths are relative to this file's folder. Unknown keys are refused.\n";
    t += "#\n# What init found:\n";
    for f in found {
        t += &format!("#   {f}\n");
    }
    t += "\n[observation]\n";
    t += &format!("obsid = \"{}\"\n", cfg.obsid);
    t += "# the folder with the cleaned event (nu<obsid><M>01_cl.evt), DET1 and GTI files\n";
    t += &format!("event_cl = \"{}\"\n", rel(&cfg.event_cl));
    let mods: Vec<String> = cfg
        .modules()
        .iter()
        .map(|m| format!("\"{}\"", m.letter()))
        .collect();
    t += &format!("modules = [{}]\n", mods.join(", "));
    t += "\n[regions]\n";
    t += "# ds9 region files per module: background = source-free sky the model is fitted\n";
    t += "# to; source = regions whose background is predicted. `background = [...]` and\n";
    t += "# `source = [...]` directly under [regions] serve every module.\n";
    for r in &cfg.regions {
        let l = r.module.letter();
        t += &format!("{l}.background = {}\n", list(&r.background));
        t += &format!("{l}.source = {}\n", list(&r.source));
    }
    t += "\n[images]\n";
    t += "# band of the counts and model images, keV\n";
    t += &format!("band = [{:?}, {:?}]\n", cfg.band.0, cfg.band.1);
    t += "\n[fit]\n";
    t += &format!(
        "statistic = \"{}\"      # \"chi\" or \"cstat\"\n",
        cfg.statistic
    );
    t += &format!(
        "solar = {}            # fit the soft solar component (false: off, as the originals)\n",
        cfg.solar
    );
    t += &format!(
        "fix_line_ratios = {}   # tie the internal lines to line 4 by the preset ratios\n",
        cfg.fix_line_ratios
    );
    let links = match cfg.fcxb_links {
        FcxbLinks::Modules => "modules",
        FcxbLinks::None => "none",
    };
    t += &format!("fcxb_links = \"{links}\"  # \"modules\": B's fcxb norm = A's for the same region; \"none\": all free\n");
    let g = match cfg.grouping {
        Grouping::Min(n) => n.to_string(),
        Grouping::Optimal => "\"optimal\"".into(),
    };
    t += &format!(
        "grouping = {g}            # group min N counts, or \"optimal\" (Kaastra & Bleeker)\n"
    );
    t += "\n[run]\n";
    t += "# where every product goes\n";
    t += &format!("workdir = \"{}\"\n", rel(&cfg.workdir));
    t += &format!(
        "figures = \"{}\"       # \"png\" or \"svg\" (the report embeds either)\n",
        cfg.figures.ext()
    );
    t
}

/// `p` relative to `base` when it lies under `base`'s parent or below; else absolute.
pub fn relative(p: &Path, base: &Path) -> String {
    if let Ok(r) = p.strip_prefix(base) {
        let s = r.display().to_string();
        return if s.is_empty() { ".".into() } else { s };
    }
    if let Some(parent) = base.parent() {
        if let Ok(r) = p.strip_prefix(parent) {
            let s = r.display().to_string();
            return if s.is_empty() {
                "..".into()
            } else {
                format!("../{s}")
            };
        }
    }
    p.display().to_string()
}
