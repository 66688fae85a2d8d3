//! Every catalog answer fixture parses and maps as the integration tests expect.

use super::*;

#[test]
fn every_fixture_parses_and_maps() {
    let root = fixtures();
    let connections: BTreeMap<String, ApiDataConnection> = json_files(&root.join("data-connections"))
        .into_iter()
        .map(|(id, body)| {
            let c = parse_data_connection(&body).unwrap_or_else(|e| panic!("connection {id}: {e}"));
            assert_eq!(c.data_connection_id, id, "file name is the id");
            (id, c)
        })
        .collect();
    assert!(connections.len() >= 2);
    let mut products = 0;
    for (account, dir) in subdirs(&root.join("products")) {
        let mut listed = Vec::new();
        for (name, body) in json_files(&dir) {
            let p = parse_product(&body).unwrap_or_else(|e| panic!("product {account}/{name}: {e}"));
            p.check_identity(&account, &name).unwrap();
            assert!(crate::route::valid_name(&name));
            let conn = &connections[&p.primary_mirror().unwrap().connection_id];
            p.to_product(conn, Vec::new()).unwrap();
            listed.push(serde_json::from_slice::<serde_json::Value>(&body).unwrap());
            products += 1;
        }
        // The account listing the stub builds from the same files.
        let list = serde_json::to_vec(&serde_json::json!({ "products": listed })).unwrap();
        let summaries = parse_product_list(&list).unwrap().summaries();
        assert!(!summaries.iter().any(|s| s.name == "disabled-data"));
    }
    assert!(products >= 5);
    for (account, dir) in subdirs(&root.join("permissions")) {
        for (name, body) in json_files(&dir) {
            assert!(root
                .join("products")
                .join(&account)
                .join(format!("{name}.json"))
                .exists());
            let per_sub: BTreeMap<String, serde_json::Value> = serde_json::from_slice(&body).unwrap();
            for (sub, answer) in per_sub {
                let bytes = serde_json::to_vec(&answer).unwrap();
                parse_permissions(&bytes).unwrap_or_else(|e| panic!("permissions {account}/{name} {sub}: {e}"));
            }
        }
    }
}

#[test]
fn fixture_contents_are_what_the_integration_tests_expect() {
    let product = |n: &str| parse_product(&fixture(&format!("products/acme/{n}.json"))).unwrap();
    let s3 = parse_data_connection(&fixture("data-connections/acme-s3.json")).unwrap();
    let az = parse_data_connection(&fixture("data-connections/acme-az.json")).unwrap();
    assert_eq!(product("public-data").visibility, Visibility::Public);
    assert_eq!(product("unlisted-data").visibility, Visibility::Unlisted);
    assert_eq!(product("restricted-data").visibility, Visibility::Restricted);
    assert!(product("disabled-data").disabled);
    match s3.to_backend(Visibility::Public, None) {
        Backend::S3(b) => {
            assert_eq!(b.endpoint, PLACEHOLDER_ENDPOINT);
            assert_eq!((b.bucket.as_str(), b.region.as_str()), ("catalog-data", "us-east-1"));
        }
        other => panic!("{other:?}"),
    }
    let p = product("public-data").to_product(&s3, Vec::new()).unwrap();
    assert_eq!(p.prefix, "base/acme/public-data/");
    assert!(matches!(
        az.to_backend(Visibility::Public, None),
        Backend::Unavailable(_)
    ));
    assert!(!format!("{az:?}").contains("FIXTURE-NOT-A-SECRET"));
    let perms: BTreeMap<String, serde_json::Value> =
        serde_json::from_slice(&fixture("permissions/acme/restricted-data.json")).unwrap();
    let perms: BTreeMap<String, Permissions> = perms
        .into_iter()
        .map(|(k, v)| (k, parse_permissions(v.to_string().as_bytes()).unwrap()))
        .collect();
    assert!(perms["user-a"].can_read());
    assert!(!perms["user-b"].can_read());
}
