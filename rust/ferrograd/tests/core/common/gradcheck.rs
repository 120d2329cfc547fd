//! Finite-difference gradient checking in float64.
//!
//! For `y = f(x_0, .., x_n)` and a fixed pseudo-random upstream gradient `v`
//! shaped like `y`, the gradient of `L = sum(y * v)` with respect to each
//! input element is estimated by central differences and compared with the
//! gradient the autograd engine computes, once with the fused backward
//! kernels and once with `create_graph` (the composite backward formulas).

use super::Lcg;
use ferrograd::autograd::{grad, no_grad};
use ferrograd::{DType, Result, Tensor};

const EPS: f64 = 1e-6;
const ATOL: f64 = 1e-5;
const RTOL: f64 = 1e-3;

type OpFn = Box<dyn Fn(&[Tensor]) -> Result<Tensor>>;

/// One op under test: its name in reports, the op over the differentiable
/// inputs (anything else, such as indices, is captured), and those inputs.
pub struct Case {
    name: &'static str,
    f: OpFn,
    inputs: Vec<Tensor>,
}

pub fn case(name: &'static str, f: impl Fn(&[Tensor]) -> Result<Tensor> + 'static, inputs: Vec<Tensor>) -> Case {
    Case { name, f: Box::new(f), inputs }
}

/// Checks every case and fails once, listing all mismatches of the family.
pub fn check_family(family: &str, cases: Vec<Case>) {
    let failures: Vec<String> = cases.iter().flat_map(check).collect();
    assert!(failures.is_empty(), "{family}: {} gradient mismatch(es)\n{}", failures.len(), failures.join("\n"));
}

/// The mismatches of one case, each naming the op, input and element.
pub fn check(case: &Case) -> Vec<String> {
    match try_check(case) {
        Ok(mismatches) => mismatches,
        Err(e) => vec![format!("{}: error: {e}", case.name)],
    }
}

fn try_check(case: &Case) -> Result<Vec<String>> {
    let name = case.name;
    for (i, x) in case.inputs.iter().enumerate() {
        if x.dtype() != DType::F64 {
            return Ok(vec![format!("{name}: input {i} is {:?}; gradcheck needs float64", x.dtype())]);
        }
    }
    let upstream = {
        let out = eval(case, &case.inputs)?;
        if out.dtype() != DType::F64 {
            return Ok(vec![format!("{name}: output is {:?}; gradcheck needs float64", out.dtype())]);
        }
        let shape = out.shape().to_vec();
        upstream_for(name, &shape)?
    };
    let mut mismatches = Vec::new();
    for create_graph in [false, true] {
        let analytic = analytic_grads(case, &upstream, create_graph)?;
        let label = if create_graph { "analytic (create_graph)" } else { "analytic" };
        for (i, (x, a)) in case.inputs.iter().zip(&analytic).enumerate() {
            if a.shape() != x.shape() {
                mismatches.push(format!("{name}: input {i}: {label} gradient has shape {:?}, input {:?}", a.shape().to_vec(), x.shape().to_vec()));
                continue;
            }
            let a = a.to_vec::<f64>()?;
            let n = numeric_grad(case, i, &upstream)?;
            for (j, (&a, &n)) in a.iter().zip(&n).enumerate() {
                if !((a - n).abs() <= ATOL + RTOL * n.abs()) {
                    mismatches.push(format!("{name}: input {i} element {j}: numeric {n:.8e} vs {label} {a:.8e}"));
                }
            }
        }
    }
    Ok(mismatches)
}

fn eval(case: &Case, inputs: &[Tensor]) -> Result<Tensor> {
    (case.f)(inputs)
}

/// `v`, seeded by the op's name so each case has its own fixed upstream gradient.
fn upstream_for(name: &str, shape: &[usize]) -> Result<Tensor> {
    let seed = name.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ b as u64).wrapping_mul(0x100_0000_01b3));
    let mut g = Lcg::new(seed);
    let values = (0..shape.iter().product()).map(|_| g.uniform(-1.0, 1.0)).collect();
    Tensor::from_vec::<f64>(values, shape)
}

/// The engine's gradient of `sum(f(x) * v)`; an input the op does not use gets zeros.
fn analytic_grads(case: &Case, upstream: &Tensor, create_graph: bool) -> Result<Vec<Tensor>> {
    let leaves = case.inputs.iter().map(|x| x.detach().clone_tensor()?.with_requires_grad(true)).collect::<Result<Vec<_>>>()?;
    let out = eval(case, &leaves)?;
    let grads = grad(&[out], &leaves, &[Some(upstream.clone())], None, create_graph, true)?;
    leaves.iter().zip(grads).map(|(x, g)| g.map_or_else(|| Tensor::zeros(&x.shape(), DType::F64), Ok)).collect()
}

/// Central differences of `sum(f(x) * v)` over every element of input `index`.
fn numeric_grad(case: &Case, index: usize, upstream: &Tensor) -> Result<Vec<f64>> {
    let _guard = no_grad();
    let v = upstream.to_vec::<f64>()?;
    let base: Vec<Vec<f64>> = case.inputs.iter().map(|x| x.to_vec::<f64>()).collect::<Result<_>>()?;
    let shape = case.inputs[index].shape().to_vec();
    let loss_at = |element: usize, delta: f64| -> Result<f64> {
        let inputs = base
            .iter()
            .enumerate()
            .map(|(i, values)| {
                let mut values = values.clone();
                if i == index {
                    values[element] += delta;
                }
                Tensor::from_vec(values, &case.inputs[i].shape())
            })
            .collect::<Result<Vec<_>>>()?;
        let y = eval(case, &inputs)?.to_vec::<f64>()?;
        Ok(y.iter().zip(&v).map(|(y, v)| y * v).sum())
    };
    (0..shape.iter().product()).map(|j| Ok((loss_at(j, EPS)? - loss_at(j, -EPS)?) / (2.0 * EPS))).collect()
}
