# mantel_trend.R - reference numbers for stats_mantel_trend() in
# tests/unit/test_stats.c (Mantel's 1963 extension test: a trend in
# proportions across ordered groups, stratified).
#
#   Rscript tests/unit/r/mantel_trend.R
#
# R has no function for the stratified trend test itself, so the statistic
# is written out below from Mantel (1963), and checked against R where R
# has one: with two groups it is the Cochran-Mantel-Haenszel statistic
# (mantelhaen.test(correct = FALSE)); with one stratum it is
# prop.trend.test's chi-square times (N - 1) / N. The script stops if either
# check fails, then prints each case's z, chi2 and p with 17 significant
# digits, as the unit test holds them. R 4.2.2 (Debian 12's r-base-core)
# produced the numbers in test_stats.c.

mantel_trend <- function(cases, n, score) {
    # cases, n: matrices, one row per stratum, one column per group
    num <- 0
    var <- 0
    for (h in seq_len(nrow(n))) {
        N <- sum(n[h, ]); m <- sum(cases[h, ])
        if (N < 2 || m == 0 || m == N) next
        sbar <- sum(n[h, ] * score) / N
        ss <- sum(n[h, ] * (score - sbar)^2)
        if (ss <= 0) next
        num <- num + sum(cases[h, ] * (score - sbar))
        var <- var + m * (N - m) / (N * (N - 1)) * ss
    }
    z <- num / sqrt(var)
    c(z = z, chi2 = z^2, p = 2 * pnorm(-abs(z)))
}

# Two groups: the CMH statistic, without continuity correction.
check_cmh <- function(cases, n) {
    tab <- array(0, c(2, 2, nrow(n)))
    for (h in seq_len(nrow(n))) {
        tab[, , h] <- rbind(c(cases[h, 1], n[h, 1] - cases[h, 1]),
                            c(cases[h, 2], n[h, 2] - cases[h, 2]))
    }
    cmh <- unname(mantelhaen.test(tab, correct = FALSE)$statistic)
    ours <- unname(mantel_trend(cases, n, c(1, 2))["chi2"])
    stopifnot(abs(cmh - ours) <= 1e-12 * cmh)
}

# One stratum: prop.trend.test's chi-square times (N - 1) / N.
check_one <- function(cases, n, score) {
    N <- sum(n)
    pt <- unname(prop.trend.test(cases, n, score)$statistic) * (N - 1) / N
    ours <- unname(mantel_trend(matrix(cases, 1), matrix(n, 1), score)["chi2"])
    stopifnot(abs(pt - ours) <= 1e-12 * pt)
}

show <- function(name, r) {
    cat(sprintf("%s: z = %.17g, chi2 = %.17g, p = %.17g\n", name, r["z"], r["chi2"], r["p"]))
}

# 1. Six skin types in three device strata; the device mix differs by skin
#    type and the risk by device, not by skin type within a device.
cases <- rbind(c(2, 3, 2, 1, 1, 0),      # pen
               c(1, 2, 3, 4, 6, 8),      # rf (used mostly on dark skin)
               c(4, 6, 5, 3, 2, 2))      # roller
n <- rbind(c(400, 600, 500, 300, 200, 150),
           c(20, 40, 60, 80, 120, 160),
           c(300, 500, 450, 250, 150, 100))
show("confounded", mantel_trend(cases, n, 1:6))
pooled <- prop.trend.test(colSums(cases), colSums(n), 1:6)
cat(sprintf("  pooled prop.trend.test: chi2 = %.17g, p = %.17g\n",
            unname(pooled$statistic), pooled$p.value))

# 2. A real trend in every stratum.
cases <- rbind(c(1, 2, 4, 6, 9, 12), c(3, 5, 8, 11, 15, 20))
n <- rbind(rep(200, 6), rep(300, 6))
show("rising", mantel_trend(cases, n, 1:6))

# 3. Strata that carry nothing (no case; a single treatment; all cases)
#    beside two that do.
cases <- rbind(c(0, 0, 0), c(1, 0, 0), c(5, 5, 5), c(3, 5, 9), c(10, 7, 5))
n <- rbind(c(10, 10, 10), c(1, 0, 0), c(5, 5, 5), c(40, 40, 40), c(50, 50, 50))
show("sparse", mantel_trend(cases, n, c(1, 2, 3)))

# 4. Two groups: equal to the CMH statistic.
cases <- rbind(c(12, 20), c(7, 3), c(30, 41))
n <- rbind(c(100, 110), c(50, 40), c(200, 210))
check_cmh(cases, n)
show("two groups", mantel_trend(cases, n, c(1, 2)))

# 5. One stratum, R's ?prop.trend.test smokers with scores 0, 1, 2, 4.
check_one(c(83, 90, 129, 70), c(86, 93, 136, 82), c(0, 1, 2, 4))
show("one stratum", mantel_trend(matrix(c(83, 90, 129, 70), 1),
                                 matrix(c(86, 93, 136, 82), 1), c(0, 1, 2, 4)))
check_one(c(1, 2, 4, 6, 9, 12), rep(200, 6), 1:6)
