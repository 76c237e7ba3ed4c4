-- Services keep client services, their issuers and their certificates in memory between
-- requests. Every statement that changes one of these tables (whoever runs it: a service, the
-- backoffice, an operator in psql) tells them so with NOTIFY signstash_tenancy_changed, sent at
-- commit; they then forget what they kept (see crates/store/src/tenancy.rs).

CREATE FUNCTION signstash_tenancy_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('signstash_tenancy_changed', TG_TABLE_NAME);
    RETURN NULL;
END;
$$;

CREATE TRIGGER client_services_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON client_services
    FOR EACH STATEMENT EXECUTE FUNCTION signstash_tenancy_changed();

CREATE TRIGGER issuer_companies_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON issuer_companies
    FOR EACH STATEMENT EXECUTE FUNCTION signstash_tenancy_changed();

CREATE TRIGGER certificates_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON certificates
    FOR EACH STATEMENT EXECUTE FUNCTION signstash_tenancy_changed();
