//! Closed forms: the hit probability of a radius (the spherical cap), its inverse, and the
//! special functions behind them and the binomial test.

use crate::error::ValidationError;

/// `ln Γ(x)` for `x > 0` (Lanczos, g = 7, 9 terms; relative error below 1e-14).
pub fn ln_gamma(x: f64) -> f64 {
	const G: f64 = 7.0;
	const C: [f64; 9] = [
		0.999_999_999_999_809_9,
		676.520_368_121_885_1,
		-1_259.139_216_722_402_8,
		771.323_428_777_653_1,
		-176.615_029_162_140_6,
		12.507_343_278_686_905,
		-0.138_571_095_265_720_12,
		9.984_369_578_019_572e-6,
		1.505_632_735_149_311_6e-7,
	];
	if x < 0.5 {
		// Reflection: Γ(x) Γ(1 − x) = π / sin(πx).
		let pi = std::f64::consts::PI;
		return (pi / (pi * x).sin()).ln() - ln_gamma(1.0 - x);
	}
	let x = x - 1.0;
	let mut a = C[0];
	let t = x + G + 0.5;
	for (i, c) in C.iter().enumerate().skip(1) {
		a += c / (x + i as f64);
	}
	0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + a.ln()
}

/// The regularised incomplete beta function `I_x(a, b)` for `a, b > 0`, `0 ≤ x ≤ 1`
/// (continued fraction, modified Lentz; absolute error below 1e-14).
pub fn incomplete_beta(x: f64, a: f64, b: f64) -> f64 {
	if x <= 0.0 {
		return 0.0;
	}
	if x >= 1.0 {
		return 1.0;
	}
	let ln_front = ln_gamma(a + b) - ln_gamma(a) - ln_gamma(b) + a * x.ln() + b * (1.0 - x).ln();
	// The continued fraction converges fast for x < (a + 1) / (a + b + 2); use symmetry otherwise.
	if x < (a + 1.0) / (a + b + 2.0) {
		ln_front.exp() * beta_cf(x, a, b) / a
	} else {
		1.0 - ln_front.exp() * beta_cf(1.0 - x, b, a) / b
	}
}

const TINY: f64 = 1e-300;

/// One step of the modified Lentz method with partial numerator `aa`: updates `c` and `d`,
/// returns the factor `c·d` for the running product.
fn lentz_step(c: &mut f64, d: &mut f64, aa: f64) -> f64 {
	*d = 1.0 + aa * *d;
	if d.abs() < TINY {
		*d = TINY;
	}
	*c = 1.0 + aa / *c;
	if c.abs() < TINY {
		*c = TINY;
	}
	*d = 1.0 / *d;
	*c * *d
}

fn beta_cf(x: f64, a: f64, b: f64) -> f64 {
	const EPS: f64 = 1e-16;
	let (qab, qap, qam) = (a + b, a + 1.0, a - 1.0);
	let mut c = 1.0;
	let mut d = 1.0 - qab * x / qap;
	if d.abs() < TINY {
		d = TINY;
	}
	d = 1.0 / d;
	let mut h = d;
	for m in 1..=10_000 {
		let m = m as f64;
		let m2 = 2.0 * m;
		// Even step, then odd step of the continued fraction.
		let even = m * (b - m) * x / ((qam + m2) * (a + m2));
		h *= lentz_step(&mut c, &mut d, even);
		let odd = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
		let del = lentz_step(&mut c, &mut d, odd);
		h *= del;
		if (del - 1.0).abs() < EPS {
			break;
		}
	}
	h
}

/// The probability that a uniformly random unit vector in `k ≥ 2` dimensions lies within distance
/// `r` of a fixed unit vector: the area of the spherical cap `v·t > c`, `c = 1 − r²/2`, as a
/// fraction of the sphere: `½ I_{1−c²}((k−1)/2, ½)` for `c ≥ 0`, and one minus that for `c < 0`.
pub fn hit_probability(k: u32, r: f64) -> Result<f64, ValidationError> {
	if k < 2 {
		return Err(ValidationError::OutOfDomain {
			name: "k",
			value: k as f64,
			reason: "the output needs at least 2 dimensions",
		});
	}
	if !(0.0..=2.0).contains(&r) {
		return Err(ValidationError::OutOfDomain {
			name: "r",
			value: r,
			reason: "a distance between unit vectors lies in [0, 2]",
		});
	}
	let c = 1.0 - r * r / 2.0;
	let half_cap = 0.5 * incomplete_beta((1.0 - c * c).max(0.0), (k as f64 - 1.0) / 2.0, 0.5);
	Ok(if c >= 0.0 { half_cap } else { 1.0 - half_cap })
}

/// The radius whose [`hit_probability`] is `p` in `k` dimensions (bisection to 1e-12).
pub fn radius_for_hit_probability(k: u32, p: f64) -> Result<f64, ValidationError> {
	if !(p > 0.0 && p < 1.0) {
		return Err(ValidationError::OutOfDomain {
			name: "p",
			value: p,
			reason: "a hit probability to aim for lies strictly between 0 and 1",
		});
	}
	let (mut lo, mut hi) = (0.0f64, 2.0f64);
	for _ in 0..100 {
		let mid = 0.5 * (lo + hi);
		if hit_probability(k, mid)? < p {
			lo = mid;
		} else {
			hi = mid;
		}
		if hi - lo < 1e-12 {
			break;
		}
	}
	Ok(0.5 * (lo + hi))
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn ln_gamma_known_values() {
		assert!((ln_gamma(1.0)).abs() < 1e-14);
		assert!((ln_gamma(5.0) - 24f64.ln()).abs() < 1e-13);
		assert!((ln_gamma(0.5) - std::f64::consts::PI.sqrt().ln()).abs() < 1e-14);
		// ln 100! = 363.73937555556347...
		assert!((ln_gamma(101.0) - 363.739_375_555_563_47).abs() < 1e-10);
	}

	#[test]
	fn incomplete_beta_known_values() {
		// I_x(1, 1) = x; I_x(a, 1) = x^a; I_½(a, a) = ½.
		assert!((incomplete_beta(0.3, 1.0, 1.0) - 0.3).abs() < 1e-14);
		assert!((incomplete_beta(0.6, 3.5, 1.0) - 0.6f64.powf(3.5)).abs() < 1e-14);
		assert!((incomplete_beta(0.5, 31.5, 31.5) - 0.5).abs() < 1e-13);
	}

	#[test]
	fn archimedes_and_the_circle() {
		// In 3 dimensions a cap's area is proportional to its height: P = r²/4.
		for r in [0.1, 0.5, 1.0, 1.3, 1.9] {
			let p = hit_probability(3, r).unwrap();
			assert!((p - r * r / 4.0).abs() < 1e-12, "r {r}: {p}");
		}
		// In 2 dimensions: the arc fraction, acos(1 − r²/2) / π.
		for r in [0.2, 1.0, 1.7] {
			let p = hit_probability(2, r).unwrap();
			assert!((p - (1.0 - r * r / 2.0).acos() / std::f64::consts::PI).abs() < 1e-12);
		}
		assert_eq!(hit_probability(64, 0.0).unwrap(), 0.0);
		assert!((hit_probability(64, 2.0f64.sqrt()).unwrap() - 0.5).abs() < 1e-12);
		assert!((hit_probability(64, 2.0).unwrap() - 1.0).abs() < 1e-12);
	}

	#[test]
	fn inverse_round_trips() {
		for (k, p) in [(64, 1.0 / 34.0), (1024, 1e-3), (1024, 1e-6), (3, 0.25)] {
			let r = radius_for_hit_probability(k, p).unwrap();
			let back = hit_probability(k, r).unwrap();
			assert!((back / p - 1.0).abs() < 1e-8, "k {k}, p {p}: r {r} gives {back}");
		}
	}

	#[test]
	fn bad_arguments_are_errors() {
		assert!(hit_probability(1, 1.0).is_err());
		assert!(hit_probability(64, 2.5).is_err());
		assert!(hit_probability(64, f64::NAN).is_err());
		assert!(radius_for_hit_probability(64, 0.0).is_err());
		assert!(radius_for_hit_probability(64, 1.0).is_err());
	}
}
