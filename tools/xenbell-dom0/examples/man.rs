//! Writes the man pages of `xenbell-dom0`, generated from its clap
//! definition (`cli::definition`), into the directory given:
//! `xenbell-dom0.8` and one `xenbell-dom0-<command>.8` per subcommand.
//! `make man` runs it; the pages are installed by `make install`.

use std::path::PathBuf;
use std::{env, fs, process};

fn main() {
    let Some(dir) = env::args_os().nth(1).map(PathBuf::from) else {
        eprintln!("man: usage: man <output directory>");
        process::exit(2);
    };
    let definition = xenbell_dom0::cli::definition().version(env!("CARGO_PKG_VERSION"));
    let mut pages = vec![("xenbell-dom0".to_string(), definition.clone())];
    for sub in definition.get_subcommands() {
        let name = format!("xenbell-dom0-{}", sub.get_name());
        // clap names are &'static str (without its "string" feature): this
        // process ends right after writing the pages.
        let leaked: &'static str = Box::leak(name.clone().into_boxed_str());
        pages.push((name, sub.clone().name(leaked)));
    }
    for (name, command) in pages {
        let path = dir.join(format!("{name}.8"));
        let mut roff = Vec::new();
        let written =
            clap_mangen::Man::new(command).section("8").render(&mut roff).and_then(|()| fs::write(&path, roff));
        if let Err(e) = written {
            eprintln!("man: {}: cannot write: {e}", path.display());
            process::exit(1);
        }
    }
}
