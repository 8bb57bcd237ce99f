//! The Lambda binary of this context; `Handler` (`_HANDLER`) picks the function.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    aws_adapters::run(bookrental_mypage::functions).await
}
