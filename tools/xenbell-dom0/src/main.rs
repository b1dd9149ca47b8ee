//! `xenbell-dom0 <ping|serve|flood|status|offer> ...`; see docs/protocol.md.

fn main() {
    std::process::exit(xenbell_dom0::app::main(std::env::args_os().skip(1).collect()));
}
