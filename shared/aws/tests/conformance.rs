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
