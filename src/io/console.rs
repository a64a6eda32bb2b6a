//! Where the command line's text goes: standard output and standard error by default. A
//! binding (the Python module) installs sinks so the text reaches its own streams
//! (`sys.stdout`, `sys.stderr`) instead of the process's file descriptors. Text is passed
//! as written, newlines included. Use the macros `outln!`, `out!`, `errln!` and `errp!`
//! as `println!`, `print!`, `eprintln!` and `eprint!`.

use std::io::Write;
use std::sync::RwLock;

/// A receiver of text (called from any thread).
pub type Sink = Box<dyn Fn(&str) + Send + Sync>;

static OUT: RwLock<Option<Sink>> = RwLock::new(None);
static ERR: RwLock<Option<Sink>> = RwLock::new(None);

/// Send standard output to `out` and standard error to `err` from now on; None restores
/// the process's stream.
pub fn set_sinks(out: Option<Sink>, err: Option<Sink>) {
    if let Ok(mut g) = OUT.write() {
        *g = out;
    }
    if let Ok(mut g) = ERR.write() {
        *g = err;
    }
}

/// Write `text` to the output sink (standard output by default).
pub fn out(text: &str) {
    if let Ok(g) = OUT.read() {
        if let Some(f) = g.as_ref() {
            return f(text);
        }
    }
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
}

/// Write `text` to the error sink (standard error by default).
pub fn err(text: &str) {
    if let Ok(g) = ERR.read() {
        if let Some(f) = g.as_ref() {
            return f(text);
        }
    }
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
}

/// `println!` through [`out`].
#[macro_export]
macro_rules! outln {
    () => {
        $crate::io::console::out("\n")
    };
    ($($t:tt)*) => {
        $crate::io::console::out(&format!("{}\n", format_args!($($t)*)))
    };
}

/// `print!` through [`out`].
#[macro_export]
macro_rules! out {
    ($($t:tt)*) => {
        $crate::io::console::out(&format!($($t)*))
    };
}

/// `eprintln!` through [`err`].
#[macro_export]
macro_rules! errln {
    () => {
        $crate::io::console::err("\n")
    };
    ($($t:tt)*) => {
        $crate::io::console::err(&format!("{}\n", format_args!($($t)*)))
    };
}

/// `eprint!` through [`err`].
#[macro_export]
macro_rules! errp {
    ($($t:tt)*) => {
        $crate::io::console::err(&format!($($t)*))
    };
}
