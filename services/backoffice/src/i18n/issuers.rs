//! The Issuer companies menu's words.

use signstash_domain::{ClientServiceStatus, IssuerStatus, OperatorStatus, Role};

pub struct Texts {
    pub new: &'static str,
    pub create_title: &'static str,
    pub edit_title: &'static str,
    pub code: &'static str,
    pub vat_number: &'static str,
    pub country: &'static str,
    pub partner: &'static str,
    pub all_partners: &'static str,
    pub invoice_address: &'static str,
    pub address: &'static str,
    pub postal_code: &'static str,
    pub city: &'static str,
    pub limit: &'static str,
    pub limit_signatures: &'static str,
    pub limit_valid_until: &'static str,
    pub no_limit: &'static str,
    pub set_limit: &'static str,
    pub done_limit: &'static str,
    pub lifecycle: &'static str,
    pub done_status: &'static str,
    pub operators: &'static str,
    pub client_services: &'static str,
    pub alias: &'static str,
    pub role: &'static str,
    pub first_only: &'static str,
    pub registered: &'static str,
    pub active: &'static str,
    pub suspended: &'static str,
    pub blocked: &'static str,
    pub deleted: &'static str,
    pub activate: &'static str,
    pub suspend: &'static str,
    pub reactivate: &'static str,
    pub block: &'static str,
    pub delete: &'static str,
    pub role_administrator: &'static str,
    pub role_partner: &'static str,
    pub role_issuer: &'static str,
    pub role_auditor: &'static str,
    pub operator_registered: &'static str,
    pub operator_active: &'static str,
    pub operator_inactive: &'static str,
    pub operator_locked: &'static str,
    pub service_active: &'static str,
    pub service_inactive: &'static str,
    pub service_suspended: &'static str,
}

impl Texts {
    pub fn status_name(&self, status: &IssuerStatus) -> &'static str {
        match *status {
            IssuerStatus::Registered => self.registered,
            IssuerStatus::Active => self.active,
            IssuerStatus::Suspended => self.suspended,
            IssuerStatus::Blocked => self.blocked,
            IssuerStatus::Deleted => self.deleted,
        }
    }

    /// The button that moves an issuer to `to` (from `from`).
    pub fn transition(&self, from: &IssuerStatus, to: &IssuerStatus) -> &'static str {
        match (*from, *to) {
            (IssuerStatus::Registered, IssuerStatus::Active) => self.activate,
            (_, IssuerStatus::Active) => self.reactivate,
            (_, IssuerStatus::Suspended) => self.suspend,
            (_, IssuerStatus::Blocked) => self.block,
            (_, IssuerStatus::Deleted) => self.delete,
            (_, IssuerStatus::Registered) => self.registered,
        }
    }

    pub fn role_name(&self, role: &Role) -> &'static str {
        match *role {
            Role::SystemAdministrator => self.role_administrator,
            Role::Partner => self.role_partner,
            Role::Issuer => self.role_issuer,
            Role::Auditor => self.role_auditor,
        }
    }

    pub fn operator_status_name(&self, status: &OperatorStatus) -> &'static str {
        match *status {
            OperatorStatus::Registered => self.operator_registered,
            OperatorStatus::Active => self.operator_active,
            OperatorStatus::Inactive => self.operator_inactive,
            OperatorStatus::Locked => self.operator_locked,
        }
    }

    pub fn service_status_name(&self, status: &ClientServiceStatus) -> &'static str {
        match *status {
            ClientServiceStatus::Active => self.service_active,
            ClientServiceStatus::Inactive => self.service_inactive,
            ClientServiceStatus::Suspended => self.service_suspended,
        }
    }
}

pub const PT_PT: Texts = Texts {
    new: "Nova empresa emissora",
    create_title: "Nova empresa emissora",
    edit_title: "Editar empresa emissora",
    code: "Código",
    vat_number: "NIF",
    country: "País",
    partner: "Empresa parceira",
    all_partners: "Todas",
    invoice_address: "Morada de faturação",
    address: "Morada",
    postal_code: "Código postal",
    city: "Localidade",
    limit: "Limite de utilização",
    limit_signatures: "Assinaturas",
    limit_valid_until: "Válido até",
    no_limit: "Sem limite de utilização definido.",
    set_limit: "Guardar limite",
    done_limit: "Limite de utilização guardado.",
    lifecycle: "Estado da empresa",
    done_status: "Estado alterado.",
    operators: "Operadores",
    client_services: "Serviços cliente",
    alias: "Alias",
    role: "Perfil",
    first_only: "Mostram-se os primeiros 50.",
    registered: "Registada",
    active: "Ativa",
    suspended: "Suspensa",
    blocked: "Bloqueada",
    deleted: "Eliminada",
    activate: "Ativar",
    suspend: "Suspender",
    reactivate: "Reativar",
    block: "Bloquear",
    delete: "Eliminar",
    role_administrator: "Administrador de sistema",
    role_partner: "Parceiro",
    role_issuer: "Emissor",
    role_auditor: "Auditor",
    operator_registered: "Registado",
    operator_active: "Ativo",
    operator_inactive: "Inativo",
    operator_locked: "Bloqueado",
    service_active: "Ativo",
    service_inactive: "Inativo",
    service_suspended: "Suspenso",
};

pub const EN: Texts = Texts {
    new: "New issuer company",
    create_title: "New issuer company",
    edit_title: "Edit issuer company",
    code: "Code",
    vat_number: "VAT number",
    country: "Country",
    partner: "Partner company",
    all_partners: "All",
    invoice_address: "Invoice address",
    address: "Address",
    postal_code: "Postal code",
    city: "City",
    limit: "Usage limit",
    limit_signatures: "Signatures",
    limit_valid_until: "Valid until",
    no_limit: "No usage limit set.",
    set_limit: "Save limit",
    done_limit: "Usage limit saved.",
    lifecycle: "Company status",
    done_status: "Status changed.",
    operators: "Operators",
    client_services: "Client services",
    alias: "Alias",
    role: "Role",
    first_only: "The first 50 are shown.",
    registered: "Registered",
    active: "Active",
    suspended: "Suspended",
    blocked: "Blocked",
    deleted: "Deleted",
    activate: "Activate",
    suspend: "Suspend",
    reactivate: "Reactivate",
    block: "Block",
    delete: "Delete",
    role_administrator: "System administrator",
    role_partner: "Partner",
    role_issuer: "Issuer",
    role_auditor: "Auditor",
    operator_registered: "Registered",
    operator_active: "Active",
    operator_inactive: "Inactive",
    operator_locked: "Locked",
    service_active: "Active",
    service_inactive: "Inactive",
    service_suspended: "Suspended",
};
