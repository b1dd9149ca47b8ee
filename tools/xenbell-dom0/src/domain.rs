//! Resolving `--domain` (a name or a numeric id) through xenstore.

use crate::cli::DomainSpec;
use crate::failure::{Exit, Failure};
use crate::xenbus::{Transport, Xenbus, XenbusError};

/// A running domain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Domain {
    pub id: u32,
    /// Its `name` key, if it has one.
    pub name: Option<String>,
}

impl Domain {
    /// `domain 7 (xenbell)`, or `domain 7`.
    pub fn describe(&self) -> String {
        match &self.name {
            Some(name) => format!("domain {} ({name})", self.id),
            None => format!("domain {}", self.id),
        }
    }
}

/// A domain's home in xenstore.
pub fn home(id: u32) -> String {
    format!("/local/domain/{id}")
}

/// A xenstore failure while doing `what`: exit 1 with the reason.
pub fn store_failure(what: &str, e: XenbusError) -> Failure {
    Failure::failed(format!("{what}: {e}"))
}

/// Finds the domain `spec` names: an id must have a home
/// (`/local/domain/<id>`); a name is looked up in every home's `name` key.
pub fn resolve<T: Transport>(xs: &mut Xenbus<T>, spec: &DomainSpec) -> Result<Domain, Failure> {
    match spec {
        DomainSpec::Id(id) => {
            let home = home(*id);
            match xs.read_opt(&home) {
                Ok(Some(_)) => {}
                Ok(None) => {
                    return Err(Failure::new(
                        Exit::NoDomain,
                        format!("no domain {id} (xl list shows the running ones)"),
                    ))
                }
                Err(e) => return Err(store_failure(&format!("reading {home}"), e)),
            }
            // A missing or unreadable name is not an error: the id was asked for.
            let name = xs.read_text(&format!("{home}/name")).ok().flatten();
            Ok(Domain { id: *id, name })
        }
        DomainSpec::Name(wanted) => {
            let ids = xs.directory("/local/domain").map_err(|e| store_failure("listing /local/domain", e))?;
            for id in ids.iter().filter_map(|entry| entry.parse::<u32>().ok()) {
                // Domains can vanish (or hide their name) while we scan: skip them.
                if let Ok(Some(name)) = xs.read_text(&format!("{}/name", home(id))) {
                    if name == *wanted {
                        return Ok(Domain { id, name: Some(name) });
                    }
                }
            }
            Err(Failure::new(Exit::NoDomain, format!("no domain named '{wanted}' (xl list shows the running ones)")))
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
        assert_eq!(f, Failure::new(Exit::NoDomain, "no domain named 'nope' (xl list shows the running ones)"));
        let f = resolve(&mut xs, &DomainSpec::Id(8)).unwrap_err();
        assert_eq!(f, Failure::new(Exit::NoDomain, "no domain 8 (xl list shows the running ones)"));
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
    fn hung_store_is_exit_1() {
        let mut fake = FakeStore::new();
        fake.silent = true;
        let mut xs = Xenbus::new(fake);
        let f = resolve(&mut xs, &DomainSpec::Id(7)).unwrap_err();
        assert_eq!(f, Failure::failed("reading /local/domain/7: xenstored did not answer"));
    }
}
