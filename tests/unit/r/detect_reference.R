# detect_reference.R - R's answers that tests/unit/test_detect.c checks the
# alert detection code against (R 4.2.2, surveillance 1.20.3, Debian 12).
#
#   Rscript tests/unit/r/detect_reference.R > tests/unit/detect_reference.h
#
# writes the C header that test_detect.c includes: the series and every
# expected number, so the unit test needs no R. Re-run it (and the test)
# when R or surveillance changes; git diff shows what moved.
suppressPackageStartupMessages(library(surveillance))

num <- function(x) ifelse(is.na(x), "NAN", sprintf("%.17g", x))
arr <- function(name, x, type = "double") {
    cat(sprintf("static const %s %s[%d] = {\n    ", type, name, length(x)))
    v <- if (type == "double") num(x) else as.character(x)
    cat(paste(strwrap(paste(v, collapse = ", "), 90, exdent = 4), collapse = "\n"))
    cat("};\n")
}

cat("/* detect_reference.h - written by tests/unit/r/detect_reference.R (R",
    paste(R.version$major, R.version$minor, sep = "."), "surveillance",
    as.character(packageVersion("surveillance")), "); do not edit. */\n")
cat("#ifndef NW_DETECT_REFERENCE_H\n#define NW_DETECT_REFERENCE_H\n")
cat("#include <math.h>\n#include <stddef.h>\n#include <stdint.h>\n")

# A series of 200 weeks: treatments that grow and dip at the year's end, a
# rate with a season and a slow rise, an outbreak in weeks 150-151.
set.seed(14)
n <- 200
wk <- 1:n
treat <- round(400 * 1.6^(wk / 104) * ifelse(wk %% 52 %in% c(51, 0), 0.5, 1))
rate <- 0.02 * (1 + 0.3 * cos(2 * pi * (wk - 30) / 52)) * 1.2^(wk / 52)
cases <- rpois(n, treat * rate)
cases[150:151] <- cases[150:151] * 2 + 3
arr("ref_treatments", treat, "int64_t")
arr("ref_cases", cases, "int64_t")

run_ff <- function(label, ctl, k) {
    st <- sts(observed = matrix(cases, ncol = 1), population = matrix(treat, ncol = 1),
              freq = 52)
    ctl$glmWarnings <- FALSE
    # One time point per call: farringtonFlexible wants a contiguous range.
    one <- lapply(k, function(kk) { ctl$range <- kk; farringtonFlexible(st, control = ctl) })
    get <- function(f) sapply(one, f)
    cat(sprintf("/* %s */\n", label))
    arr(paste0(label, "_upper"), get(function(r) as.numeric(upperbound(r))))
    arr(paste0(label, "_expected"), get(function(r) as.numeric(r@control$expected)))
    arr(paste0(label, "_pvalue"), get(function(r) as.numeric(r@control$pvalue)))
    arr(paste0(label, "_phi"), get(function(r) as.numeric(r@control$phiVector)))
    arr(paste0(label, "_alarm"), get(function(r) as.integer(alarms(r))), "int")
    arr(paste0(label, "_trend"), get(function(r) as.integer(r@control$trend)), "int")
}

k <- c(120, 140, 150, 151, 152, 170, 190, 200)
arr("ref_k", k - 1, "size_t")   # 0-based for C
# Noufaily et al. (2013) with the treatments as offset, b = 1 and b = 3.
run_ff("nouf1", list(b = 1, w = 3, noPeriods = 10, pastWeeksNotIncluded = 26,
                     weightsThreshold = 2.58, pThresholdTrend = 1,
                     thresholdMethod = "nbPlugin", alpha = 0.01, populationOffset = TRUE), k)
run_ff("nouf3", list(b = 3, w = 3, noPeriods = 10, pastWeeksNotIncluded = 26,
                     weightsThreshold = 2.58, pThresholdTrend = 1,
                     thresholdMethod = "nbPlugin", alpha = 0.01, populationOffset = TRUE),
       k[k > 52 * 3 + 3])
# The original method (delta, 2/3 power, trend test at 0.05) with offset, b = 3.
run_ff("farr3", list(b = 3, w = 3, noPeriods = 1, weightsThreshold = 1, alpha = 0.05,
                     populationOffset = TRUE, thresholdMethod = "delta"), k[k > 52 * 3 + 3])
# muan, counts (no offset), b = 2.
run_ff("muan2", list(b = 2, w = 3, noPeriods = 10, pastWeeksNotIncluded = 26,
                     weightsThreshold = 2.58, pThresholdTrend = 1, thresholdMethod = "muan",
                     alpha = 0.001, populationOffset = FALSE), k[k > 52 * 2 + 3])

# glrpois with the treatments as offset: mu0 = the rate of weeks 1..100 x
# the week's treatments, judged weeks 101..200.
rng <- 101:200
mu0 <- sum(cases[1:100]) / sum(treat[1:100]) * treat[rng]
st <- sts(observed = matrix(cases, ncol = 1), freq = 52)
for (h in c(5, 10)) {
    g <- glrpois(st, control = list(range = rng, mu0 = mu0, c.ARL = h, ret = "value", dir = "inc"))
    arr(sprintf("glr%d_value", h), as.numeric(upperbound(g)))
    arr(sprintf("glr%d_alarm", h), as.integer(alarms(g)), "int")
}

# Benjamini-Hochberg.
p <- c(0.01, 0.04, 0.03, 0.2, 0.0001, 0.5, 0.04, 1, 0.002, 0.049)
arr("bh_p", p)
arr("bh_q", p.adjust(p, "BH"))

# Distribution functions.
cat("/* {k, size or mu, prob, ppois_upper / pnbinom_upper} */\n")
dp <- rbind(c(5, 2.5), c(40, 20), c(0, 3), c(1, 1e-3), c(300, 200), c(12, 0.7))
arr("pois_args", as.vector(t(dp)))
arr("pois_upper", ppois(dp[, 1] - 1, dp[, 2], lower.tail = FALSE))
arr("pois_q999", qpois(0.999, dp[, 2]))
nb <- rbind(c(5, 2.5, 0.4), c(40, 15, 0.6), c(1, 0.3, 0.9), c(300, 100, 0.35), c(25, 3, 0.2))
arr("nb_args", as.vector(t(nb)))
arr("nb_upper", pnbinom(nb[, 1] - 1, nb[, 2], nb[, 3], lower.tail = FALSE))
arr("nb_q99", qnbinom(0.99, nb[, 2], nb[, 3]))
tt <- rbind(c(-2.5, 7), c(0.3, 50), c(-8, 120), c(1.96, 3))
arr("t_args", as.vector(t(tt)))
arr("t_p", pt(tt[, 1], tt[, 2]))

# The predictive tail of detect_predictive_upper: the same 20-point
# Gauss-Hermite sum written out in R, and R's integrate() as a looser check
# of the quadrature itself.
gh <- c(0.34696415708135592, 1.0429453488027509, 1.7452473208141268, 2.4586636111723679,
        3.1890148165533896, 3.9439673506573163, 4.7345813340460552, 5.5787388058932015,
        6.5105901570136542, 7.6190485416797582)
ghw <- c(0.26079306344955477, 0.16173933398400003, 0.061506372063976959,
         0.013997837447100996, 0.0018301031310804924, 0.00012882627996192942,
         4.4021210902308646e-06, 6.127490259982928e-08, 2.4820623623151797e-10,
         1.2578006724379264e-13)
tail1 <- function(y, m, phi) if (phi > 1) pnbinom(y - 1, m / (phi - 1), 1 / phi, lower.tail = FALSE) else
    ppois(y - 1, m, lower.tail = FALSE)
pred <- function(y, eta, sigma, phi)
    sum(ghw * (sapply(exp(eta + sigma * gh), function(m) tail1(y, m, phi)) +
               sapply(exp(eta - sigma * gh), function(m) tail1(y, m, phi))))
pint <- function(y, eta, sigma, phi)
    integrate(function(z) sapply(z, function(zz) tail1(y, exp(eta + sigma * zz), phi)) * dnorm(z),
              -Inf, Inf, rel.tol = 1e-10)$value
pa <- rbind(c(30, log(15), 0.1, 1), c(30, log(15), 0.1, 1.4), c(8, log(2), 0.5, 1),
            c(3, log(0.05), 1.5, 1), c(60, log(40), 0.05, 1.2))
arr("pred_args", as.vector(t(pa)))
arr("pred_gh", apply(pa, 1, function(a) pred(a[1], a[2], a[3], a[4])))
arr("pred_int", apply(pa, 1, function(a) pint(a[1], a[2], a[3], a[4])))
cat("#endif\n")
