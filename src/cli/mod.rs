//! The command line: `nuskybgd TASK [args]`. Each task is a small file that parses its
//! arguments, calls one library function and prints a summary. No science here.

pub mod absrmf;
pub mod args;
pub mod aspecthist;
pub mod bgdspec;
pub mod demo;
pub mod fit;
pub mod getspec;
pub mod image;
pub mod mkimgs;
pub mod mkinstrmap;
pub mod model_eval;
pub mod phafix;
pub mod projbgd;
pub mod refspec;
pub mod regmask;
pub mod simplify;
pub mod simulate;
pub mod spec;
pub mod xcm_fit;
pub mod xcm_show;

use crate::error::Result;
use args::Args;

/// One task of the command line.
pub struct Task {
    /// Name as typed after `nuskybgd`.
    pub name: &'static str,
    /// One-line summary for the task list.
    pub summary: &'static str,
    /// Full usage text with an example.
    pub usage: &'static str,
    /// Runs the task.
    pub run: fn(&Args) -> Result<()>,
}

/// All tasks, in the order the help lists them.
pub fn tasks() -> Vec<Task> {
    vec![
        mkimgs::task(),
        mkinstrmap::task(),
        aspecthist::task(),
        projbgd::task(),
        regmask::task(),
        phafix::task(),
        getspec::task(),
        absrmf::task(),
        refspec::task(),
        fit::task(),
        spec::task(),
        bgdspec::task(),
        simplify::task(),
        image::task(),
        model_eval::task(),
        xcm_show::task(),
        xcm_fit::task(),
        simulate::task(),
        demo::task(),
    ]
}

fn print_overview() {
    println!(
        "nuskybgd {}: NuSTAR sky-background modelling",
        env!("CARGO_PKG_VERSION")
    );
    println!();
    println!("usage: nuskybgd TASK [key=value ...]   (or --key value)");
    println!("       nuskybgd TASK --help            usage of one task");
    println!();
    println!("tasks:");
    for t in tasks() {
        println!("  {:<12} {}", t.name, t.summary);
    }
}

/// Run the command line; returns the process exit code (0 only on success).
pub fn main_with(argv: &[String]) -> i32 {
    let Some(name) = argv.get(1) else {
        print_overview();
        return 2;
    };
    if name == "--help" || name == "-h" || name == "help" {
        print_overview();
        return 0;
    }
    if name == "--version" {
        println!("nuskybgd {}", env!("CARGO_PKG_VERSION"));
        return 0;
    }
    let all = tasks();
    let Some(task) = all.iter().find(|t| t.name == name) else {
        eprintln!("nuskybgd: unknown task '{name}' (run 'nuskybgd --help' for the list)");
        return 2;
    };
    let rest = &argv[2..];
    // demo is the one task that runs with no arguments (README's first command)
    if (rest.is_empty() && task.name != "demo") || rest.iter().any(|a| a == "--help" || a == "-h") {
        println!("{}", task.usage.trim_end());
        return if rest.is_empty() { 2 } else { 0 };
    }
    let result = Args::parse(rest).and_then(|a| (task.run)(&a));
    match result {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("nuskybgd {name}: error: {e}");
            1
        }
    }
}
