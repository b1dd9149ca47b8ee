//! Resolving `--domain` (a name or a numeric id) through xenstore.

use std::io;

use echo::echo;

use crate::cli::DomainSpec;
use crate::failure::{Exit, Failure};
use crate::xenbus::{Transport, Xenbus, XenbusError};

/// A running domain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Domain {
    pub id: u32,
    /// Its `name` key, if it has one (invalid UTF-8 replaced).
    pub name: Option<String>,
}

impl Domain {
    /// `domain 7 (xenbell)`, or `domain 7`; the name (from xenstore,
    /// untrusted) escaped and bounded.
    pub fn describe(&self) -> String {
        match &self.name {
            Some(name) => format!("domain {} ({})", self.id, echo(name).bare()),
            None => format!("domain {}", self.id),
        }
    }
}

/// A domain's home in xenstore.
pub fn home(id: u32) -> String {
    format!("/local/domain/{id}")
}

/// A xenstore request `op` on `path` failed: `<path>: cannot <op>: <why>`,
/// exit 8; but exit 3, `/dev/xen/xenbus: <why>: ...`, if that device is
/// missing or not ours (it is opened at the first request, see `app::Lazy`).
pub fn store_failure(path: &str, op: &str, e: XenbusError) -> Failure {
    let path = echo(path).bare().max(200);
    match &e {
        XenbusError::Io(io) if matches!(io.kind(), io::ErrorKind::NotFound | io::ErrorKind::PermissionDenied) => {
            Failure::new(Exit::NotXen, format!("{e}: not running on Xen, or not root? (needed to {op} {path})"))
        }
        _ => Failure::new(Exit::Xenstore, format!("{path}: cannot {op}: {e}")),
    }
}

/// The domain `spec` names, for a command that binds `port` (if given) of
/// it: a numeric id with a port needs nothing from xenstore, so nothing is
/// asked (xenstored may be down or hung; a domain that does not exist is
/// then told by the bind, ESRCH). Otherwise [`resolve`].
pub fn locate<T: Transport>(xs: &mut Xenbus<T>, spec: &DomainSpec, port: Option<u32>) -> Result<Domain, Failure> {
    match (spec, port) {
        (DomainSpec::Id(id), Some(_)) => Ok(Domain { id: *id, name: None }),
        _ => resolve(xs, spec),
    }
}

/// Finds the domain `spec` names: an id must have a home
/// (`/local/domain/<id>`); a name must equal, byte for byte, the `name` key
/// of exactly one home (two domains of that name: exit 4, both listed; a
/// name that differs only in surrounding spaces is not taken, only shown).
pub fn resolve<T: Transport>(xs: &mut Xenbus<T>, spec: &DomainSpec) -> Result<Domain, Failure> {
    match spec {
        DomainSpec::Id(id) => {
            let home = home(*id);
            match xs.read_opt(&home) {
                Ok(Some(_)) => {}
                Ok(None) => {
                    return Err(Failure::new(
                        Exit::NoDomain,
                        format!("domain {id}: not found (xl list shows the running ones)"),
                    ))
                }
                Err(e) => return Err(store_failure(&home, "read", e)),
            }
            // A missing or unreadable name is not an error: the id was asked for.
            let name = xs.read_opt(&format!("{home}/name")).ok().flatten();
            Ok(Domain { id: *id, name: name.map(|n| String::from_utf8_lossy(&n).into_owned()) })
        }
        DomainSpec::Name(wanted) => {
            let ids = xs.directory("/local/domain").map_err(|e| store_failure("/local/domain", "list", e))?;
            let mut exact = Vec::new();
            let mut near = Vec::new();
            for id in ids.iter().filter_map(|entry| entry.parse::<u32>().ok()) {
                // Domains can vanish (or hide their name) while we scan: skip them.
                let Ok(Some(name)) = xs.read_opt(&format!("{}/name", home(id))) else { continue };
                let domain = Domain { id, name: Some(String::from_utf8_lossy(&name).into_owned()) };
                if name == wanted.as_bytes() {
                    exact.push(domain);
                } else if String::from_utf8_lossy(&name).trim() == wanted.trim() {
                    near.push(domain);
                }
            }
            let subject = format!("domain {}", echo(wanted));
            match exact.len() {
                1 => Ok(exact.remove(0)),
                0 => {
                    let near: Vec<String> = near
                        .iter()
                        .map(|d| format!("domain {} is named {}", d.id, echo(d.name.as_deref().unwrap_or(""))))
                        .collect();
                    let near = if near.is_empty() { String::new() } else { format!("; {}", near.join(", ")) };
                    Err(Failure::new(
                        Exit::NoDomain,
                        format!("{subject}: not found (xl list shows the running ones{near})"),
                    ))
                }
                n => {
                    exact.sort_by_key(|d| d.id);
                    let ids: Vec<String> = exact.iter().map(|d| d.id.to_string()).collect();
                    Err(Failure::new(
                        Exit::NoDomain,
                        format!("{subject}: {n} domains have this name: {}; give the id instead", ids.join(", ")),
                    ))
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fakes::FakeStore;

    fn store() -> Xenbus<FakeStore> {
        Xenbus::new(FakeStore::new().with_domain(0, "Domain-0").with_domain(7, "xenbell").with_domain(12, "other"))
    }

    #[test]
    fn by_name_and_by_id() {
        let mut xs = store();
        let d = resolve(&mut xs, &DomainSpec::Name("xenbell".into())).unwrap();
        assert_eq!(d, Domain { id: 7, name: Some("xenbell".into()) });
        assert_eq!(d.describe(), "domain 7 (xenbell)");
        assert_eq!(resolve(&mut xs, &DomainSpec::Id(12)).unwrap().name.as_deref(), Some("other"));
        assert_eq!(resolve(&mut xs, &DomainSpec::Name("Domain-0".into())).unwrap().id, 0);
    }

    #[test]
    fn missing_domains_exit_4() {
        let mut xs = store();
        let f = resolve(&mut xs, &DomainSpec::Name("nope".into())).unwrap_err();
        assert_eq!(f, Failure::new(Exit::NoDomain, "domain 'nope': not found (xl list shows the running ones)"));
        let f = resolve(&mut xs, &DomainSpec::Id(8)).unwrap_err();
        assert_eq!(f, Failure::new(Exit::NoDomain, "domain 8: not found (xl list shows the running ones)"));
    }

    #[test]
    fn id_without_name_and_junk_entries() {
        let mut fake = FakeStore::new().with_domain(7, "xenbell");
        fake.set("/local/domain/3/memory", "1");
        fake.set("/local/domain/junk/name", "xenbell2");
        let mut xs = Xenbus::new(fake);
        assert_eq!(resolve(&mut xs, &DomainSpec::Id(3)).unwrap(), Domain { id: 3, name: None });
        assert_eq!(resolve(&mut xs, &DomainSpec::Name("xenbell2".into())).unwrap_err().exit, Exit::NoDomain);
    }

    #[test]
    fn names_compare_exactly() {
        // xenstore keeps a name byte for byte; "xenbell2 " is not "xenbell2".
        let mut xs = Xenbus::new(
            FakeStore::new().with_domain(7, "xenbell").with_domain(9, "xenbell2 ").with_domain(11, "\txenbell3"),
        );
        let f = resolve(&mut xs, &DomainSpec::Name("xenbell2".into())).unwrap_err();
        assert_eq!(
            f,
            Failure::new(
                Exit::NoDomain,
                "domain 'xenbell2': not found (xl list shows the running ones; domain 9 is named 'xenbell2 ')"
            )
        );
        assert_eq!(resolve(&mut xs, &DomainSpec::Name("xenbell2 ".into())).unwrap().id, 9);
        assert_eq!(resolve(&mut xs, &DomainSpec::Name("xenbell".into())).unwrap().id, 7);
        let f = resolve(&mut xs, &DomainSpec::Name("xenbell3".into())).unwrap_err();
        assert!(f.message.ends_with("domain 11 is named '\\txenbell3')"), "{}", f.message);
        assert_eq!(resolve(&mut xs, &DomainSpec::Id(11)).unwrap().describe(), "domain 11 (\\txenbell3)");
    }

    #[test]
    fn a_shared_name_is_exit_4_listing_both() {
        let mut xs = Xenbus::new(FakeStore::new().with_domain(7, "xenbell").with_domain(12, "xenbell"));
        let f = resolve(&mut xs, &DomainSpec::Name("xenbell".into())).unwrap_err();
        assert_eq!(
            f,
            Failure::new(Exit::NoDomain, "domain 'xenbell': 2 domains have this name: 7, 12; give the id instead")
        );
    }

    #[test]
    fn hostile_names_are_echoed_bounded() {
        let name = format!("\x1b]0;{}\u{7}", "x".repeat(5000));
        let mut xs = store();
        let f = resolve(&mut xs, &DomainSpec::Name(name)).unwrap_err();
        assert!(f.message.starts_with("domain '\\x1b]0;xxx"), "{}", f.message);
        assert!(f.message.len() < 200 && !f.message.contains(char::is_control), "{}", f.message);
    }

    #[test]
    fn hung_store_is_exit_8() {
        let mut fake = FakeStore::new();
        fake.silent = true;
        let mut xs = Xenbus::new(fake);
        let f = resolve(&mut xs, &DomainSpec::Id(7)).unwrap_err();
        assert_eq!(f, Failure::new(Exit::Xenstore, "/local/domain/7: cannot read: xenstored did not answer"));
        let f = resolve(&mut xs, &DomainSpec::Name("xenbell".into())).unwrap_err();
        assert_eq!(f, Failure::new(Exit::Xenstore, "/local/domain: cannot list: xenstored did not answer"));
    }

    #[test]
    fn missing_xenbus_device_is_exit_3() {
        let e = XenbusError::Io(io::ErrorKind::NotFound.into());
        let f = store_failure("/local/domain", "list", e);
        assert_eq!(f.exit, Exit::NotXen);
        assert!(f.message.starts_with("/dev/xen/xenbus: "), "{}", f.message);
        assert!(
            f.message.ends_with(": not running on Xen, or not root? (needed to list /local/domain)"),
            "{}",
            f.message
        );
    }

    #[test]
    fn an_id_with_a_port_asks_xenstore_nothing() {
        let mut xs = Xenbus::new(FakeStore::new().with_domain(7, "xenbell"));
        assert_eq!(locate(&mut xs, &DomainSpec::Id(7), Some(5)), Ok(Domain { id: 7, name: None }));
        assert_eq!(xs.transport_mut().log, Vec::<String>::new());
        // A hung xenstored (any request fails) changes nothing.
        xs.transport_mut().silent = true;
        assert_eq!(locate(&mut xs, &DomainSpec::Id(9), Some(5)), Ok(Domain { id: 9, name: None }));
        assert_eq!(locate(&mut xs, &DomainSpec::Id(9), None).unwrap_err().exit, Exit::Xenstore);
        // Without a port, or by name, xenstore must be asked.
        xs.transport_mut().silent = false;
        assert_eq!(locate(&mut xs, &DomainSpec::Id(7), None).unwrap().name.as_deref(), Some("xenbell"));
        assert_eq!(locate(&mut xs, &DomainSpec::Name("xenbell".into()), Some(5)).unwrap().id, 7);
    }
}
