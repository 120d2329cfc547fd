//! Trains a two-layer perceptron on a synthetic regression task with the
//! crate's Rust API alone: tensors, ops, `backward`, and an SGD step.
//!
//! `cargo run --release -p ferrograd --example train_mlp`

use ferrograd::ops::losses::Reduction;
use ferrograd::optim::{sgd_step, SgdOptions};
use ferrograd::{DType, Result, Scalar, Tensor};

const SAMPLES: usize = 256;
const HIDDEN: usize = 32;
const STEPS: usize = 300;

/// A learnable tensor: standard normal values times `scale`, as a leaf.
fn parameter(shape: &[usize], scale: f64) -> Result<Tensor> {
    Tensor::randn(shape, DType::F32)?.mul_scalar(Scalar::Float(scale))?.with_requires_grad(true)
}

/// Inputs uniform on [-2, 2)² and the target `sin(x0) + x1² / 4`.
fn dataset() -> Result<(Tensor, Tensor)> {
    let x = Tensor::rand(&[SAMPLES, 2], DType::F32)?.mul_scalar(Scalar::Float(4.0))?.sub_scalar(Scalar::Float(2.0))?;
    let columns = x.unbind(1)?;
    let y = columns[0].sin()?.add(&columns[1].square()?.mul_scalar(Scalar::Float(0.25))?)?;
    Ok((x, y.unsqueeze(1)?))
}

struct Mlp {
    w1: Tensor,
    b1: Tensor,
    w2: Tensor,
    b2: Tensor,
}

impl Mlp {
    fn new() -> Result<Self> {
        Ok(Mlp {
            w1: parameter(&[2, HIDDEN], 0.5)?,
            b1: parameter(&[HIDDEN], 0.0)?,
            w2: parameter(&[HIDDEN, 1], 1.0 / (HIDDEN as f64).sqrt())?,
            b2: parameter(&[1], 0.0)?,
        })
    }

    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let hidden = x.matmul(&self.w1)?.add(&self.b1)?.tanh()?;
        hidden.matmul(&self.w2)?.add(&self.b2)
    }

    fn parameters(&self) -> [Tensor; 4] {
        [self.w1.clone(), self.b1.clone(), self.w2.clone(), self.b2.clone()]
    }
}

fn main() -> Result<()> {
    ferrograd::random::manual_seed(0);
    let (x, y) = dataset()?;
    let model = Mlp::new()?;
    let params = model.parameters();
    let mut momentum = vec![None; params.len()];
    let options = SgdOptions { lr: 0.05, momentum: 0.9, dampening: 0.0, weight_decay: 0.0, nesterov: false, maximize: false };
    let mut first = None;
    let mut last = f64::NAN;
    for step in 0..STEPS {
        let loss = model.forward(&x)?.mse_loss(&y, Reduction::Mean)?;
        for p in &params {
            p.set_grad(None)?;
        }
        loss.backward(None, None, false)?;
        let grads = params.iter().map(|p| p.grad().ok_or_else(|| ferrograd::Error::runtime("a parameter got no gradient"))).collect::<Result<Vec<_>>>()?;
        sgd_step(&params, &grads, &mut momentum, &options)?;
        last = loss.item()?.to_f64();
        first.get_or_insert(last);
        if step % 50 == 0 || step == STEPS - 1 {
            println!("step {step:4}  loss {last:.5}");
        }
    }
    let first = first.unwrap_or(last);
    println!("loss fell from {first:.5} to {last:.5}");
    if last >= first {
        return Err(ferrograd::Error::runtime(format!("training did not reduce the loss ({first} -> {last})")));
    }
    Ok(())
}
