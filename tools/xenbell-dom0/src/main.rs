fn main() {
    eprintln!("usage: xenbell-dom0 <ping|serve|flood|status|offer> ...");
    std::process::exit(2);
}
