//! The backoffice's menus (`../shared/design/backoffice.md`) and which roles may use each: an
//! exhaustive match, so a new menu or role does not compile until it is decided. A menu a role
//! may not use is absent from its `<nav>`, and its path answers 404 to that role.

use signstash_domain::Role;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Menu {
    Dashboard,
    Operations,
    Consumptions,
    Operators,
    Certificates,
    ClientServices,
    IssuerCompanies,
    PartnerCompanies,
    Reports,
    SystemConfigurations,
    AuditLog,
}

impl Menu {
    /// In the order the navigation shows them.
    pub const ALL: [Menu; 11] = [
        Menu::Dashboard,
        Menu::Operations,
        Menu::Consumptions,
        Menu::Operators,
        Menu::Certificates,
        Menu::ClientServices,
        Menu::IssuerCompanies,
        Menu::PartnerCompanies,
        Menu::Reports,
        Menu::SystemConfigurations,
        Menu::AuditLog,
    ];

    pub fn path(self) -> &'static str {
        match self {
            Menu::Dashboard => "/dashboard",
            Menu::Operations => "/operations",
            Menu::Consumptions => "/consumptions",
            Menu::Operators => "/operators",
            Menu::Certificates => "/certificates",
            Menu::ClientServices => "/client-services",
            Menu::IssuerCompanies => "/issuer-companies",
            Menu::PartnerCompanies => "/partner-companies",
            Menu::Reports => "/reports",
            Menu::SystemConfigurations => "/system-configurations",
            Menu::AuditLog => "/audit-log",
        }
    }

    /// Whether `role` may use this menu (the design's "Who" column).
    pub fn allowed(self, role: Role) -> bool {
        use Role::{Auditor, Issuer, Partner, SystemAdministrator};
        match self {
            Menu::Dashboard
            | Menu::Operations
            | Menu::Consumptions
            | Menu::ClientServices
            | Menu::IssuerCompanies
            | Menu::AuditLog => true,
            Menu::Operators => match role {
                SystemAdministrator | Partner | Issuer => true,
                Auditor => false,
            },
            Menu::Certificates => match role {
                Issuer => true,
                SystemAdministrator | Partner | Auditor => false,
            },
            Menu::PartnerCompanies | Menu::Reports => match role {
                SystemAdministrator | Partner => true,
                Issuer | Auditor => false,
            },
            Menu::SystemConfigurations => match role {
                SystemAdministrator => true,
                Partner | Issuer | Auditor => false,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Menu::*;

    /// Written by hand from the design's menu table, not computed from `allowed`.
    #[test]
    fn each_role_sees_the_menus_the_design_gives_it() {
        let admin = [
            Dashboard,
            Operations,
            Consumptions,
            Operators,
            ClientServices,
            IssuerCompanies,
            PartnerCompanies,
            Reports,
            SystemConfigurations,
            AuditLog,
        ];
        let partner = [
            Dashboard,
            Operations,
            Consumptions,
            Operators,
            ClientServices,
            IssuerCompanies,
            PartnerCompanies,
            Reports,
            AuditLog,
        ];
        let issuer = [
            Dashboard,
            Operations,
            Consumptions,
            Operators,
            Certificates,
            ClientServices,
            IssuerCompanies,
            AuditLog,
        ];
        let auditor = [
            Dashboard,
            Operations,
            Consumptions,
            ClientServices,
            IssuerCompanies,
            AuditLog,
        ];
        for (role, expected) in [
            (Role::SystemAdministrator, &admin[..]),
            (Role::Partner, &partner[..]),
            (Role::Issuer, &issuer[..]),
            (Role::Auditor, &auditor[..]),
        ] {
            let seen: Vec<Menu> = Menu::ALL.into_iter().filter(|m| m.allowed(role)).collect();
            assert_eq!(seen, expected, "{role:?}");
        }
    }
}
