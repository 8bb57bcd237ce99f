//! The Lambda binary of this context; `Handler` (`_HANDLER`) picks the function.

fn main() -> Result<(), lambda_runtime::Error> {
    aws_adapters::main(productorder_order::FUNCTIONS)
}
