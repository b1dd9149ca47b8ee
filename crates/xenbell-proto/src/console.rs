//! The kernel's stable console lines (docs/protocol.md, "Console lines"):
//! one line each, grep-able, printed after the console's timestamp and log
//! level. Each type's `Display` is the line without its newline.

use core::fmt;

/// What every line of this module starts with.
pub const PREFIX: &str = "xenbell: ";

/// `xenbell: booting version=<v>`: the first line.
pub struct Booting<'a> {
    pub version: &'a str,
}

/// `xenbell: ready port=<p> remote=<d>`: the port is published.
pub struct Ready {
    pub port: u32,
    pub remote: u16,
}

/// `xenbell: ports offered=<k> remote=<d> lowest=<p> highest=<p>`: with
/// `ports=K`, all K ports are allocated, bound and published.
pub struct PortsOffered {
    pub count: u32,
    pub remote: u16,
    pub lowest: u32,
    pub highest: u32,
}

/// `xenbell: vcpus online=<n> present=<m>`: the APs were started; `n` of
/// the domain's `m` vCPUs run (the boot vCPU included).
pub struct VcpusOnline {
    pub online: u32,
    pub present: u32,
}

/// `xenbell: connected remote=<d> remote_port=<p>`: a peer bound the port.
pub struct Connected {
    pub remote: u16,
    pub remote_port: u32,
}

/// `xenbell: disconnected`: the peer closed its end.
pub const DISCONNECTED: &str = "xenbell: disconnected";

/// `xenbell: done rounds=<n> ok=<n> rtt_ns p50=<x> p99=<y>`: lead mode
/// finished (round-trip times in nanoseconds of Xen's clock).
pub struct Done {
    pub rounds: u64,
    pub ok: u64,
    pub p50_ns: u64,
    pub p99_ns: u64,
}

/// `xenbell: shutdown reason=<r>`: the last line (`poweroff`, `reboot`,
/// `crash`, ...: Xen's `SHUTDOWN_*` names).
pub struct Shutdown<'a> {
    pub reason: &'a str,
}

/// `xenbell: vchan ready path=<path>`: mode=vchan published `ring-ref` and
/// `event-channel` under the absolute xenstore `path`; a libxenvchan client
/// may connect.
pub struct VchanReady<'a> {
    pub path: &'a str,
}

/// `xenbell: vchan client gone bytes=<n>`: the vchan client left (its live
/// byte went to 0) after `n` bytes were echoed; the channel is offered again.
pub struct VchanClientGone {
    pub bytes: u64,
}

impl fmt::Display for VchanReady<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{PREFIX}vchan ready path={}", self.path)
    }
}

impl fmt::Display for VchanClientGone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{PREFIX}vchan client gone bytes={}", self.bytes)
    }
}

impl fmt::Display for Booting<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{PREFIX}booting version={}", self.version)
    }
}

impl fmt::Display for Ready {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{PREFIX}ready port={} remote={}", self.port, self.remote)
    }
}

impl fmt::Display for VcpusOnline {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{PREFIX}vcpus online={} present={}", self.online, self.present)
    }
}

impl fmt::Display for PortsOffered {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{PREFIX}ports offered={} remote={} lowest={} highest={}",
            self.count, self.remote, self.lowest, self.highest
        )
    }
}

impl fmt::Display for Connected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{PREFIX}connected remote={} remote_port={}", self.remote, self.remote_port)
    }
}

impl fmt::Display for Done {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Done { rounds, ok, p50_ns, p99_ns } = self;
        write!(f, "{PREFIX}done rounds={rounds} ok={ok} rtt_ns p50={p50_ns} p99={p99_ns}")
    }
}

impl fmt::Display for Shutdown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{PREFIX}shutdown reason={}", self.reason)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The exact lines the README, the scenarios and the benchmarks grep for.
    #[test]
    fn lines() {
        assert_eq!(Booting { version: "0.1.0" }.to_string(), "xenbell: booting version=0.1.0");
        assert_eq!(Ready { port: 4, remote: 0 }.to_string(), "xenbell: ready port=4 remote=0");
        assert_eq!(Connected { remote: 0, remote_port: 18 }.to_string(), "xenbell: connected remote=0 remote_port=18");
        assert_eq!(
            Done { rounds: 1000, ok: 999, p50_ns: 747506, p99_ns: 1522616 }.to_string(),
            "xenbell: done rounds=1000 ok=999 rtt_ns p50=747506 p99=1522616"
        );
        assert_eq!(Shutdown { reason: "crash" }.to_string(), "xenbell: shutdown reason=crash");
        assert!(DISCONNECTED.starts_with(PREFIX));
        assert_eq!(
            VchanReady { path: "/local/domain/3/data/vchan/0/1" }.to_string(),
            "xenbell: vchan ready path=/local/domain/3/data/vchan/0/1"
        );
        assert_eq!(VchanClientGone { bytes: 1048576 }.to_string(), "xenbell: vchan client gone bytes=1048576");
    }
}
