//! The store conformance suite on DynamoDB, against moto's server (the real
//! DynamoDB wire protocol).

use std::sync::Arc;

use aws_adapters::DynamoTable;
use aws_adapters::testing::moto_config;
use framework::store::Table;
use tokio::sync::OnceCell;

static TABLE: OnceCell<String> = OnceCell::const_new();

async fn moto_table() -> Arc<dyn Table> {
    let client = aws_sdk_dynamodb::Client::new(&moto_config().await);
    let name = TABLE
        .get_or_init(|| async {
            let name = format!("conformance-{}", framework::new_id());
            DynamoTable::new(client.clone(), &name).ensure_exists().await.expect("table created on moto");
            name
        })
        .await;
    Arc::new(DynamoTable::new(client, name))
}

framework::conformance_suite!(moto_table());

/// The configuration a Lambda builds without `aws-config`'s chains is
/// complete: requests are signed, retried and answered.
#[tokio::test]
async fn the_direct_lambda_configuration_reaches_dynamodb() {
    let http = aws_smithy_http_client::Builder::new().build_http();
    let credentials = aws_sdk_dynamodb::config::Credentials::new("testing", "testing", None, None, "test");
    let config = aws_adapters::direct_config(http, "us-east-1".into(), credentials);
    let dynamodb =
        aws_sdk_dynamodb::config::Builder::from(&config).endpoint_url(aws_adapters::testing::moto_endpoint()).build();
    let client = aws_sdk_dynamodb::Client::from_conf(dynamodb);
    let table = DynamoTable::new(client, format!("direct-{}", framework::new_id()));
    table.ensure_exists().await.expect("created through the direct configuration");
    framework::conformance::a_put_item_reads_back_whole(&table).await;
}
