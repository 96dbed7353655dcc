//! The fused kernels of LIF, Wang–Buzsáki and HH on the data of `plain_loops.rs` (the same
//! initial states and parameters), as the fused engine builds them.
#![allow(dead_code)]

use brainburn::fused::{HostGroup, HostGroupKernel};
use brainburn::prelude::*;

/// The float32 kernel of `model` ("lif", "wb", "hh") for `n` neurons and its input.
pub fn kernel(model: &str, n: usize) -> (Box<dyn HostGroup<f32>>, Vec<f32>) {
    let c = Ctx::new(BackendKind::Flex, Precision::F32).expect("flex compiled in");
    let m = Mode::NonBatching;
    let values = |f: &dyn Fn(f64) -> f64| Initializer::Values {
        values: (0..n).map(|j| f(j as f64 / n as f64)).collect(),
    };
    let (g, x): (Box<dyn NeuronGroup>, f32) = match model {
        "lif" => (
            Box::new(
                Lif::new(
                    n,
                    LifConfig {
                        v_initializer: values(&|u| 20.0 * u),
                        ..Default::default()
                    },
                    &c,
                    m,
                )
                .expect("valid LIF"),
            ),
            25.0,
        ),
        "wb" => (
            Box::new(
                WangBuzsakiModel::new(
                    n,
                    WangBuzsakiConfig {
                        v_initializer: values(&|u| -70.0 + 20.0 * u),
                        ..Default::default()
                    },
                    &c,
                    m,
                )
                .expect("valid WB"),
            ),
            1.0,
        ),
        _ => (
            Box::new(
                Hh::new(
                    n,
                    HhConfig {
                        v_initializer: values(&|u| -70.0 + 10.0 * u),
                        m_initializer: Some(Initializer::constant(0.05)),
                        h_initializer: Some(Initializer::constant(0.6)),
                        n_initializer: Some(Initializer::constant(0.32)),
                        ..Default::default()
                    },
                    &c,
                    m,
                )
                .expect("valid HH"),
            ),
            1.0,
        ),
    };
    match g.fused_kernel() {
        Some(Ok(HostGroupKernel::F32(k))) => (k, vec![x; n]),
        _ => panic!("{model} has a float32 fused kernel"),
    }
}
