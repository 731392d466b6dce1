/*
 * test_stats.c - table-driven tests of analyze/model/stats.c.
 *
 * Every expected value names its source beside it: a published table, or an
 * independent computation whose exact command is quoted. The independent
 * tools are Debian 12's packages: R 4.2.2 (r-base-core) with
 * r-cran-surveillance 1.20.3 and r-cran-epir 2.0.57, and Python 3.11 with
 * python3-scipy 1.10.1 and python3-statsmodels 0.13.5. R values were printed
 * with sprintf("%.17g", ...); Python values with repr().
 *
 * Tolerance: 1e-9 relative wherever the reference has full double precision
 * (R's z is qnorm(0.975), one ulp below NW_Z95, which moves an interval by
 * ~1e-16 relative); published values rounded to 4 decimals get +-5e-5
 * absolute, which is all their precision allows. An expected 0 must be
 * exactly 0.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "model/stats.h"

#define RTOL 1e-9
#define ARRAY_LEN(x) (sizeof(x) / sizeof((x)[0]))

/* |got - want| <= rtol |want|: an expected 0 must be exactly 0. */
static void check_rel(double got, double want, double rtol, const char *what,
                      const char *src)
{
    if (isnan(want)) {
        if (!isnan(got))
            fail_msg("%s [%s]: got %.17g, want NaN", what, src, got);
        return;
    }
    if (isinf(want)) {
        if (got != want)
            fail_msg("%s [%s]: got %.17g, want %g", what, src, got, want);
        return;
    }
    if (!(fabs(got - want) <= rtol * fabs(want)))
        fail_msg("%s [%s]: got %.17g, want %.17g (rel tol %g)", what, src, got,
                 want, rtol);
}

static void check_abs(double got, double want, double atol, const char *what,
                      const char *src)
{
    if (!(fabs(got - want) <= atol))
        fail_msg("%s [%s]: got %.17g, want %.17g (abs tol %g)", what, src, got,
                 want, atol);
}

static void check_ratio(nw_ratio_t got, double est, double lo, double hi,
                        double rtol, const char *src)
{
    if (!got.defined)
        fail_msg("[%s]: ratio undefined, want %.17g", src, est);
    check_rel(got.est, est, rtol, "est", src);
    check_rel(got.lo, lo, rtol, "lo", src);
    check_rel(got.hi, hi, rtol, "hi", src);
}

static void check_ratio_undefined(nw_ratio_t got, const char *src)
{
    if (got.defined)
        fail_msg("[%s]: ratio defined (%.17g), want undefined", src, got.est);
    if (!isnan(got.est) || !isnan(got.lo) || !isnan(got.hi))
        fail_msg("[%s]: undefined ratio must carry NaN fields", src);
}

/* ---------------------------------------------------------------- normal */

static void test_norm_quantile(void **state)
{
    (void)state;
    /* Source of every row: R 4.2.2, sprintf("%.17g", qnorm(p)). */
    static const struct {
        double p, want;
    } rows[] = {
        {0.975, 1.9599639845400536},
        {0.999, 3.0902323061678132},
        {0.5, 0.0},
        {0.3, -0.52440051270804067},
        {0.9, 1.2815515655446008},
        {0.02425, -1.9729610513118845},
        {1e-10, -6.3613409024040557},         /* tail branch, r <= 5 */
        {1.0 - 1e-12, 7.0344869100478356},
        {1e-300, -37.047096299361201},        /* far tail, r > 5 */
    };
    for (size_t i = 0; i < ARRAY_LEN(rows); i++)
        check_rel(stats_norm_quantile(rows[i].p), rows[i].want, RTOL, "qnorm", "R qnorm");

    /* Edges as R: qnorm(0) = -Inf, qnorm(1) = Inf, qnorm(-0.1) = NaN. */
    assert_true(stats_norm_quantile(0.0) == -INFINITY);
    assert_true(stats_norm_quantile(1.0) == INFINITY);
    assert_true(isnan(stats_norm_quantile(-0.1)));
    assert_true(isnan(stats_norm_quantile(1.1)));
    assert_true(isnan(stats_norm_quantile(NAN)));

    /* NW_Z95 is Phi^-1(0.975) rounded to nearest: scipy 1.10
     * repr(scipy.special.ndtri(0.975)) == '1.959963984540054'. */
    check_rel(stats_norm_quantile(0.975), NW_Z95, 1e-15, "NW_Z95", "scipy ndtri");
}

static void test_norm_cdf(void **state)
{
    (void)state;
    /* Source of every row: R 4.2.2, sprintf("%.17g", pnorm(x)). */
    static const struct {
        double x, want;
    } rows[] = {
        {1.959963984540054, 0.97499999999999998},
        {-3.0, 0.0013498980316300946},
        {0.0, 0.5},
        {0.5, 0.69146246127401301},
        {8.0, 0.99999999999999933},
    };
    for (size_t i = 0; i < ARRAY_LEN(rows); i++)
        check_rel(stats_norm_cdf(rows[i].x), rows[i].want, RTOL, "pnorm", "R pnorm");
    assert_true(isnan(stats_norm_cdf(NAN)));
}

/* ---------------------------------------------------------------- Wilson */

static void test_wilson_published(void **state)
{
    (void)state;
    /* Newcombe RG, Two-sided confidence intervals for the single proportion:
     * comparison of seven methods, Stat Med 1998;17:857-872, Table II,
     * method 3 (score interval without continuity correction), 4 decimals. */
    static const struct {
        long x, n;
        double lo, hi;
    } rows[] = {
        {81, 263, 0.2553, 0.3662},
        {15, 148, 0.0624, 0.1605},
        {0, 20, 0.0000, 0.1611},
        {1, 29, 0.0061, 0.1718},
    };
    for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
        nw_proportion_t w = stats_wilson(rows[i].x, rows[i].n, NW_Z95);
        assert_true(w.defined);
        check_abs(w.lo, rows[i].lo, 5e-5, "lo", "Newcombe 1998 Table II");
        check_abs(w.hi, rows[i].hi, 5e-5, "hi", "Newcombe 1998 Table II");
    }
}

static void test_wilson_computed(void **state)
{
    (void)state;
    /* Source: R 4.2.2, prop.test(x, n, correct = FALSE)$conf.int, whose
     * interval is Wilson's; cross-checked with statsmodels 0.13.5
     * proportion_confint(x, n, alpha=0.05, method='wilson') (same values to
     * <= 2e-16, except that it gives hi = 0.9999999999999999 for 20/20). */
    static const struct {
        long x, n;
        double lo, hi;
        const char *what;
    } rows[] = {
        {81, 263, 0.25528851987827428, 0.36620957698280016, "81/263"},
        {15, 148, 0.062386399530736283, 0.160487241723308, "15/148"},
        {1, 29, 0.006113214292762661, 0.17175521879320282, "1/29"},
        {5, 10, 0.23659309051256402, 0.76340690948743595, "5/10"},
        {0, 20, 0.0, 0.1611251580528193, "zero cases"},
        {20, 20, 0.83887484194718065, 1.0, "cases == n"},
        {1, 1, 0.2065493143772375, 1.0, "n == 1, one case"},
        {0, 1, 0.0, 0.79345068562276255, "n == 1, no case"},
    };
    for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
        nw_proportion_t w = stats_wilson(rows[i].x, rows[i].n, NW_Z95);
        assert_true(w.defined);
        check_rel(w.est, (double)rows[i].x / (double)rows[i].n, 0.0, "est", rows[i].what);
        check_rel(w.lo, rows[i].lo, RTOL, "lo", rows[i].what);
        check_rel(w.hi, rows[i].hi, RTOL, "hi", rows[i].what);
    }
}

static void test_wilson_undefined(void **state)
{
    (void)state;
    static const struct {
        long x, n;
        double z;
    } rows[] = {
        {0, 0, NW_Z95},  /* n == 0: no proportion */
        {3, 2, NW_Z95},  /* cases > n */
        {-1, 5, NW_Z95}, /* negative cases */
        {1, -5, NW_Z95}, /* negative n */
        {1, 5, 0.0},     /* z must be > 0 */
        {1, 5, NAN},
        {1, 5, INFINITY},
    };
    for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
        nw_proportion_t w = stats_wilson(rows[i].x, rows[i].n, rows[i].z);
        assert_false(w.defined);
        assert_true(isnan(w.est) && isnan(w.lo) && isnan(w.hi));
    }
}

/* ------------------------------------------------------------ crude RR */

static void test_risk_ratio(void **state)
{
    (void)state;
    /* Source: R 4.2.2 by hand,
     *   rr <- (a/n1)/(c/n2); se <- sqrt(1/a-1/n1+1/c-1/n2)
     *   exp(log(rr) + c(-1,1)*qnorm(0.975)*se)
     * cross-checked with scipy 1.10
     *   stats.contingency.relative_risk(a,n1,c,n2).confidence_interval(0.95)
     * and epiR 2.0.57 epi.2by2(...)$massoc.detail$RR.crude.wald. */
    static const struct {
        long a, n1, c, n2;
        double est, lo, hi;
        const char *what;
    } rows[] = {
        /* UGDP (1970) all-cause deaths, tolbutamide 30/204 vs placebo 21/205 */
        {30, 204, 21, 205, 1.435574229691877, 0.85102207367991589, 2.4216450227242357,
         "UGDP crude"},
        {1, 1, 1, 2, 2.0, 0.50019530651981292, 7.9968763158347587, "n1 == 1"},
        /* a == n1, c == n2: Var ln RR = 0, so the interval is the point */
        {5, 5, 3, 3, 1.0, 1.0, 1.0, "all cases"},
    };
    for (size_t i = 0; i < ARRAY_LEN(rows); i++)
        check_ratio(stats_risk_ratio(rows[i].a, rows[i].n1, rows[i].c, rows[i].n2, NW_Z95),
                    rows[i].est, rows[i].lo, rows[i].hi, RTOL, rows[i].what);
}

static void test_risk_ratio_undefined(void **state)
{
    (void)state;
    static const struct {
        long a, n1, c, n2;
        const char *what;
    } rows[] = {
        {0, 100, 5, 100, "a == 0"},
        {5, 100, 0, 100, "c == 0"},
        {0, 100, 0, 100, "no cases"},
        {0, 0, 5, 100, "n1 == 0"},
        {5, 100, 0, 0, "n2 == 0"},
        {6, 5, 1, 10, "a > n1"},
        {1, 10, 11, 10, "c > n2"},
        {-1, 10, 1, 10, "negative"},
    };
    for (size_t i = 0; i < ARRAY_LEN(rows); i++)
        check_ratio_undefined(
            stats_risk_ratio(rows[i].a, rows[i].n1, rows[i].c, rows[i].n2, NW_Z95),
            rows[i].what);
    check_ratio_undefined(stats_risk_ratio(5, 10, 5, 10, -1.0), "z < 0");
}

/* ------------------------------------------------------ Mantel-Haenszel */

/* UGDP (1970) all-cause deaths by age, tolbutamide (exposed) vs placebo:
 * age < 55: 8/106 vs 5/120; age >= 55: 22/98 vs 16/85. This is the
 * stratified example of Rothman, Greenland & Lash, Modern Epidemiology,
 * 3rd ed. (2008), ch. 15; the expected values below are computed, not
 * copied from the book. */
static const nw_stratum_t ugdp[] = {{8, 106, 5, 120}, {22, 98, 16, 85}};

/* Source: R 4.2.2, Greenland-Robins by hand:
 *   N<-n1+n2; R<-sum(a*n2/N); S<-sum(c*n1/N)
 *   v<-sum((n1*n2*(a+c)-a*c*N)/N^2)/(R*S); rr<-R/S
 *   exp(log(rr) + c(-1,1)*qnorm(0.975)*sqrt(v))
 * and independently epiR 2.0.57:
 *   epi.2by2(array(c(8,5,98,115, 22,16,76,69), dim=c(2,2,2)),
 *            method="cohort.count")$massoc.detail$RR.mh.wald
 * which agree to all 17 digits. */
#define UGDP_MH_EST 1.3255553241551052
#define UGDP_MH_LO 0.79790704014648584
#define UGDP_MH_HI 2.2021323650351112

static void test_mh_published_data(void **state)
{
    (void)state;
    nw_mh_ratio_t mh = stats_mh_risk_ratio(ugdp, ARRAY_LEN(ugdp), NW_Z95);
    assert_int_equal(mh.strata_used, 2);
    check_ratio(mh.rr, UGDP_MH_EST, UGDP_MH_LO, UGDP_MH_HI, RTOL, "UGDP MH 95%");

    /* 90%: same R code with qnorm(0.95) = 1.6448536269514715. */
    mh = stats_mh_risk_ratio(ugdp, ARRAY_LEN(ugdp), 1.6448536269514715);
    check_ratio(mh.rr, UGDP_MH_EST, 0.86575321172194464, 2.0295586474362119, RTOL,
                "UGDP MH 90%");

    /* Three strata. Same R code; epiR 2.0.57 epi.2by2(array(c(2,1,38,49,
     * 10,6,110,124, 7,3,53,42), dim=c(2,2,3)), method="cohort.count")
     * gives the same RR.mh.wald. */
    static const nw_stratum_t three[] = {{2, 40, 1, 50}, {10, 120, 6, 130}, {7, 60, 3, 45}};
    mh = stats_mh_risk_ratio(three, ARRAY_LEN(three), NW_Z95);
    assert_int_equal(mh.strata_used, 3);
    check_ratio(mh.rr, 1.8479082661290323, 0.88004700635987609, 3.8802074609087556, RTOL,
                "3 strata");
}

static void test_mh_one_stratum_is_crude(void **state)
{
    (void)state;
    /* Identity: with K = 1, RR_MH = a n2 / (c n1) and the Greenland-Robins
     * variance reduces to Katz's 1/a - 1/n1 + 1/c - 1/n2. */
    static const nw_stratum_t rows[] = {
        {30, 204, 21, 205}, {1, 1, 1, 2}, {3, 7, 9, 11}, {5, 5, 3, 3}};
    for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
        nw_mh_ratio_t mh = stats_mh_risk_ratio(&rows[i], 1, NW_Z95);
        nw_ratio_t rr = stats_risk_ratio(rows[i].a, rows[i].n1, rows[i].c, rows[i].n2,
                                         NW_Z95);
        assert_int_equal(mh.strata_used, 1);
        check_ratio(mh.rr, rr.est, rr.lo, rr.hi, 1e-12, "K = 1 vs crude");
    }
}

static void test_mh_edges(void **state)
{
    (void)state;
    nw_mh_ratio_t mh;

    /* Zero strata. */
    mh = stats_mh_risk_ratio(NULL, 0, NW_Z95);
    check_ratio_undefined(mh.rr, "no strata");
    assert_int_equal(mh.strata_used, 0);

    /* Strata with only one side add nothing and are not counted. */
    static const nw_stratum_t one_sided[] = {
        {8, 106, 5, 120}, {3, 10, 0, 0}, {22, 98, 16, 85}, {0, 0, 2, 7}, {0, 0, 0, 0}};
    mh = stats_mh_risk_ratio(one_sided, ARRAY_LEN(one_sided), NW_Z95);
    assert_int_equal(mh.strata_used, 2);
    check_ratio(mh.rr, UGDP_MH_EST, UGDP_MH_LO, UGDP_MH_HI, RTOL, "one-sided strata");

    /* Only one-sided strata: undefined, none used. */
    static const nw_stratum_t only_one_sided[] = {{3, 10, 0, 0}, {0, 0, 2, 7}, {0, 0, 0, 0}};
    mh = stats_mh_risk_ratio(only_one_sided, ARRAY_LEN(only_one_sided), NW_Z95);
    check_ratio_undefined(mh.rr, "only one-sided strata");
    assert_int_equal(mh.strata_used, 0);

    /* A two-sided stratum without cases is counted but changes nothing. */
    static const nw_stratum_t empty_cases[] = {{8, 106, 5, 120}, {0, 50, 0, 40}, {22, 98, 16, 85}};
    mh = stats_mh_risk_ratio(empty_cases, ARRAY_LEN(empty_cases), NW_Z95);
    assert_int_equal(mh.strata_used, 3);
    check_ratio(mh.rr, UGDP_MH_EST, UGDP_MH_LO, UGDP_MH_HI, RTOL, "caseless stratum");

    /* No exposed case anywhere (numerator 0), or no unexposed case
     * (denominator 0): undefined, strata still counted. */
    static const nw_stratum_t no_exposed[] = {{0, 106, 5, 120}, {0, 98, 16, 85}};
    mh = stats_mh_risk_ratio(no_exposed, 2, NW_Z95);
    check_ratio_undefined(mh.rr, "numerator 0");
    assert_int_equal(mh.strata_used, 2);
    static const nw_stratum_t no_unexposed[] = {{8, 106, 0, 120}, {22, 98, 0, 85}};
    mh = stats_mh_risk_ratio(no_unexposed, 2, NW_Z95);
    check_ratio_undefined(mh.rr, "denominator 0");
    assert_int_equal(mh.strata_used, 2);

    /* No exposed case in one stratum only: still defined. Source: R 4.2.2
     * by hand as above with a=c(0,22), n1=c(106,98), c=c(5,16), n2=c(120,85);
     * epiR 2.0.57 epi.2by2(array(c(0,5,106,115, 22,16,76,69), dim=c(2,2,2)),
     * method="cohort.count")$massoc.detail$RR.mh.wald agrees to 17 digits. */
    static const nw_stratum_t half_zero[] = {{0, 106, 5, 120}, {22, 98, 16, 85}};
    mh = stats_mh_risk_ratio(half_zero, 2, NW_Z95);
    assert_int_equal(mh.strata_used, 2);
    check_ratio(mh.rr, 0.93632991993052073, 0.54035058966388094, 1.6224905380457628, RTOL,
                "a == 0 in one stratum");

    /* Impossible counts poison the whole result. */
    static const nw_stratum_t bad[] = {{8, 106, 5, 120}, {99, 98, 16, 85}};
    mh = stats_mh_risk_ratio(bad, 2, NW_Z95);
    check_ratio_undefined(mh.rr, "a > n1");
    assert_int_equal(mh.strata_used, 0);
    static const nw_stratum_t negative[] = {{8, 106, -5, 120}};
    mh = stats_mh_risk_ratio(negative, 1, NW_Z95);
    check_ratio_undefined(mh.rr, "negative");

    /* NULL with k > 0, and a bad z. */
    check_ratio_undefined(stats_mh_risk_ratio(NULL, 3, NW_Z95).rr, "NULL strata");
    check_ratio_undefined(stats_mh_risk_ratio(ugdp, 2, NAN).rr, "z NaN");
}

/* ------------------------------------------------------------ PRR, ROR */

/* Source of PRR: R 4.2.2 by hand,
 *   e<-(a/(a+b))/(c/(c+d)); se<-sqrt(1/a-1/(a+b)+1/c-1/(c+d))
 * and of ROR: e<-(a*d)/(b*c); se<-sqrt(1/a+1/b+1/c+1/d); both with
 *   exp(log(e) + c(-1,1)*qnorm(0.975)*se);
 * cross-checked with statsmodels 0.13.5 Table2x2(np.array([[a,b],[c,d]]))
 * .riskratio_confint() and .oddsratio_confint() (agree to <= 1e-15 relative). */
static const struct {
    nw_table2x2_t t;
    double prr, prr_lo, prr_hi, ror, ror_lo, ror_hi;
} disprop_rows[] = {
    {{10, 90, 20, 980}, 5.0, 2.4077924844639851, 10.382954578232853,
     5.4444444444444446, 2.472933945933768, 11.98656169421028},
    {{3, 47, 12, 988}, 5.0, 1.4572929606504137, 17.15509556077323,
     5.2553191489361701, 1.4343214518917906, 19.255362402025067},
    {{25, 475, 150, 9850}, 3.3333333333333335, 2.2038555753994973, 5.0416693521747584,
     3.4561403508771931, 2.2408528703778887, 5.3305178054582347},
    {{4, 6, 2, 8}, 2.0, 0.46747892422987264, 8.5565354771653546,
     2.6666666666666665, 0.3607570235793271, 19.711635938662312},
    {{1, 1, 1, 1}, 1.0, 0.14086349409321755, 7.0990713842313315,
     1.0, 0.019842523968149936, 50.396814518412157},
};

static void test_prr_ror(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(disprop_rows); i++) {
        check_ratio(stats_prr(disprop_rows[i].t, NW_Z95), disprop_rows[i].prr,
                    disprop_rows[i].prr_lo, disprop_rows[i].prr_hi, RTOL, "PRR");
        check_ratio(stats_ror(disprop_rows[i].t, NW_Z95), disprop_rows[i].ror,
                    disprop_rows[i].ror_lo, disprop_rows[i].ror_hi, RTOL, "ROR");
    }
    /* b == 0: PRR defined (R by hand as above: 1.3999999999999999,
     * 0.87629825793843619, 2.2366813835862929), ROR not (R gives Inf/NaN). */
    nw_table2x2_t b0 = {3, 0, 5, 2};
    check_ratio(stats_prr(b0, NW_Z95), 1.3999999999999999, 0.87629825793843619,
                2.2366813835862929, RTOL, "PRR b == 0");
    check_ratio_undefined(stats_ror(b0, NW_Z95), "ROR b == 0");
}

static void test_prr_ror_undefined(void **state)
{
    (void)state;
    static const nw_table2x2_t prr_bad[] = {
        {0, 10, 5, 100}, {3, 10, 0, 100}, {0, 0, 0, 0}, {-1, 10, 5, 100}, {3, 10, 5, -1}};
    for (size_t i = 0; i < ARRAY_LEN(prr_bad); i++)
        check_ratio_undefined(stats_prr(prr_bad[i], NW_Z95), "PRR");
    static const nw_table2x2_t ror_bad[] = {
        {0, 10, 5, 100}, {3, 0, 5, 100}, {3, 10, 0, 100}, {3, 10, 5, 0}, {3, -10, 5, 100}};
    for (size_t i = 0; i < ARRAY_LEN(ror_bad); i++)
        check_ratio_undefined(stats_ror(ror_bad[i], NW_Z95), "ROR");
    check_ratio_undefined(stats_prr(disprop_rows[0].t, 0.0), "PRR z == 0");
    check_ratio_undefined(stats_ror(disprop_rows[0].t, -NW_Z95), "ROR z < 0");
}

/* ------------------------------------------------------------- Yates */

static void test_chi2_yates(void **state)
{
    (void)state;
    /* Source: R 4.2.2 chisq.test(matrix(c(a,c,b,d),2), correct=TRUE)
     * $statistic and $p.value; cross-checked with scipy 1.10
     * stats.chi2_contingency([[a,b],[c,d]], correction=True) (<= 1e-14 relative). */
    static const struct {
        nw_table2x2_t t;
        double stat, p;
        const char *what;
    } rows[] = {
        {{10, 90, 20, 980}, 19.019548286604365, 1.2938612245057571e-05, "10,90,20,980"},
        {{3, 47, 12, 988}, 4.7554347826086953, 0.029205913547622076, "3,47,12,988"},
        {{25, 475, 150, 9850}, 33.489661016949142, 7.1643821335457182e-09, "25,475,..."},
        {{4, 6, 2, 8}, 0.23809523809523808, 0.62558523152432532, "4,6,2,8"},
        {{3, 0, 5, 2}, 0.029761904761904764, 0.8630315773055417, "3,0,5,2"},
        {{3, 1, 1, 11}, 4.0, 0.045500263896358473, "exactly 4"},
        /* |ad - bc| = 5 < N/2 = 10.5: the correction would overshoot; R's
         * min(0.5, |O - E|) and our max(0, |ad-bc| - N/2) both give 0. */
        {{5, 5, 5, 6}, 0.0, 1.0, "|ad-bc| < N/2"},
        {{1, 1, 1, 1}, 0.0, 1.0, "ad == bc"},
    };
    for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
        nw_chi2_t x = stats_chi2_yates(rows[i].t);
        assert_true(x.defined);
        check_rel(x.stat, rows[i].stat, RTOL, "chi2", rows[i].what);
        check_rel(x.p, rows[i].p, RTOL, "p", rows[i].what);
    }

    /* A zero margin: R's chisq.test gives NaN. */
    static const nw_table2x2_t bad[] = {
        {0, 3, 0, 4}, {3, 0, 4, 0}, {0, 0, 3, 4}, {3, 4, 0, 0}, {-1, 3, 2, 4}};
    for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
        nw_chi2_t x = stats_chi2_yates(bad[i]);
        assert_false(x.defined);
        assert_true(isnan(x.stat) && isnan(x.p));
    }
}

/* ------------------------------------------------------------- Evans */

static void test_evans_signal(void **state)
{
    (void)state;
    /* Rule: Evans SJW, Waller PC, Davis S, Pharmacoepidemiol Drug Saf
     * 2001;10:483-486: a >= 3, PRR >= 2, chi2 (Yates) >= 4. The PRR and chi2
     * of each row come from R 4.2.2: (a/(a+b))/(c/(c+d)) and
     * chisq.test(matrix(c(a,c,b,d),2), correct=TRUE)$statistic. */
    static const struct {
        nw_table2x2_t t;
        bool signal, evaluable;
        const char *what;
    } rows[] = {
        {{3, 7, 30, 960}, true, true, "PRR 9.9, chi2 14.9"},
        {{3, 1, 1, 11}, true, true, "a == 3, PRR 9, chi2 exactly 4"},
        {{20, 80, 100, 900}, true, true, "PRR exactly 2, chi2 8.35"},
        {{10, 90, 20, 980}, true, true, "PRR 5, chi2 19.0"},
        {{2, 0, 1, 50}, false, true, "a == 2 (PRR 51, chi2 18.7)"},
        {{5, 20, 10, 80}, false, true, "PRR 1.8 (chi2 0.69)"},
        {{4, 6, 2, 8}, false, true, "PRR exactly 2, chi2 0.24"},
        {{3, 5, 0, 100}, false, false, "c == 0: PRR undefined"},
        {{0, 5, 3, 100}, false, false, "a == 0"},
    };
    for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
        nw_evans_t e = stats_evans_signal(rows[i].t, NW_Z95);
        if (e.signal != rows[i].signal)
            fail_msg("[%s]: signal %d, want %d", rows[i].what, e.signal, rows[i].signal);
        if (e.prr.defined != rows[i].evaluable)
            fail_msg("[%s]: prr.defined %d, want %d", rows[i].what, e.prr.defined,
                     rows[i].evaluable);
    }
}

/* ---------------------------------------------------- Cochran-Armitage */

static void test_cochran_armitage(void **state)
{
    (void)state;
    /* Source: R 4.2.2 prop.trend.test(x, n, score) $statistic (chi2) and
     * $p.value; z = -sqrt(chi2) where the proportions fall with the score,
     * as they do in the first three rows (checked by hand: T < 0). */
    static const nw_trend_group_t smokers[] = {
        /* R's ?prop.trend.test example: smokers <- c(83, 90, 129, 70);
         * patients <- c(86, 93, 136, 82); default scores 1..4. */
        {83, 86, 1}, {90, 93, 2}, {129, 136, 3}, {70, 82, 4}};
    static const nw_trend_group_t smokers_s[] = {
        {83, 86, 0}, {90, 93, 1}, {129, 136, 2}, {70, 82, 4}};
    static const nw_trend_group_t rising[] = {
        {2, 50, 1}, {5, 50, 2}, {9, 50, 3}, {15, 50, 4}};
    /* An empty group contributes nothing: R drops its NaN proportion;
     * prop.trend.test(c(2,5,0,15), c(50,50,0,50), score=1:4). */
    static const nw_trend_group_t with_empty[] = {
        {2, 50, 1}, {5, 50, 2}, {0, 0, 3}, {15, 50, 4}};
    /* Groups of one: prop.trend.test(c(1,0), c(1,1)). */
    static const nw_trend_group_t ones[] = {{1, 1, 1}, {0, 1, 2}};
    static const struct {
        const nw_trend_group_t *g;
        size_t k;
        double chi2, p, sign;
        const char *what;
    } rows[] = {
        {smokers, 4, 8.2249222851977102, 0.004131897477641487, -1, "smokers"},
        {smokers_s, 4, 10.458881401554079, 0.0012206116916196512, -1, "smokers, scores 0,1,2,4"},
        {ones, 2, 1.9999999999999996, 0.15729920705028519, -1, "n == 1 groups"},
        {rising, 4, 14.11719793853789, 0.00017176616100704169, 1, "rising"},
        {with_empty, 4, 14.625608766233762, 0.00013112061517360575, 1, "empty group"},
    };
    for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
        nw_trend_t t = stats_cochran_armitage(rows[i].g, rows[i].k);
        assert_true(t.defined);
        check_rel(t.chi2, rows[i].chi2, RTOL, "chi2", rows[i].what);
        check_rel(t.z, rows[i].sign * sqrt(rows[i].chi2), RTOL, "z", rows[i].what);
        check_rel(t.p, rows[i].p, RTOL, "p", rows[i].what);
    }
    /* The same example as R prints it (and as ?prop.trend.test users see
     * it): "X-squared = 8.2249, df = 1, p-value = 0.004132". */
    nw_trend_t t = stats_cochran_armitage(smokers, 4);
    check_abs(t.chi2, 8.2249, 5e-5, "chi2", "R example, 4 decimals");
    check_abs(t.p, 0.004132, 5e-7, "p", "R example, 4 significant digits");
}

static void test_cochran_armitage_undefined(void **state)
{
    (void)state;
    static const nw_trend_group_t no_cases[] = {{0, 10, 1}, {0, 10, 2}};
    static const nw_trend_group_t all_cases[] = {{10, 10, 1}, {10, 10, 2}};
    static const nw_trend_group_t same_score[] = {{1, 10, 2}, {5, 10, 2}};
    static const nw_trend_group_t one_nonempty[] = {{1, 10, 1}, {0, 0, 2}};
    static const nw_trend_group_t impossible[] = {{11, 10, 1}, {5, 10, 2}};
    static const nw_trend_group_t nan_score[] = {{1, 10, 1}, {5, 10, NAN}};
    static const nw_trend_group_t empty[] = {{0, 0, 1}, {0, 0, 2}};
    static const struct {
        const nw_trend_group_t *g;
        size_t k;
    } rows[] = {
        {NULL, 0},     {NULL, 2},        {no_cases, 2},   {all_cases, 2}, {same_score, 2},
        {one_nonempty, 2}, {impossible, 2}, {nan_score, 2}, {empty, 2},
    };
    for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
        nw_trend_t t = stats_cochran_armitage(rows[i].g, rows[i].k);
        assert_false(t.defined);
        assert_true(isnan(t.z) && isnan(t.p));
    }
}

/* ------------------------------------------------ Mantel extension test */

/* Source: tests/unit/r/mantel_trend.R (R 4.2.2): the statistic written out
 * from Mantel (1963), checked there against mantelhaen.test(correct =
 * FALSE) for two groups and prop.trend.test for one stratum. */
static void test_mantel_trend(void **state)
{
    (void)state;
    /* 1. Three device strata x six skin types: a device used mostly on dark
     * skin carries the risk; no trend within a device. */
    static const nw_trend_group_t confounded[] = {
        {2, 400, 1}, {3, 600, 2}, {2, 500, 3}, {1, 300, 4}, {1, 200, 5}, {0, 150, 6},
        {1, 20, 1},  {2, 40, 2},  {3, 60, 3},  {4, 80, 4},  {6, 120, 5}, {8, 160, 6},
        {4, 300, 1}, {6, 500, 2}, {5, 450, 3}, {3, 250, 4}, {2, 150, 5}, {2, 100, 6}};
    static const nw_trend_group_t rising[] = {
        {1, 200, 1}, {2, 200, 2}, {4, 200, 3}, {6, 200, 4},  {9, 200, 5},  {12, 200, 6},
        {3, 300, 1}, {5, 300, 2}, {8, 300, 3}, {11, 300, 4}, {15, 300, 5}, {20, 300, 6}};
    /* Strata without information: no case, one treatment, all cases. */
    static const nw_trend_group_t sparse[] = {
        {0, 10, 1}, {0, 10, 2}, {0, 10, 3}, {1, 1, 1},   {0, 0, 2},   {0, 0, 3},
        {5, 5, 1},  {5, 5, 2},  {5, 5, 3},  {3, 40, 1},  {5, 40, 2},  {9, 40, 3},
        {10, 50, 1}, {7, 50, 2}, {5, 50, 3}};
    static const nw_trend_group_t two_groups[] = {
        {12, 100, 1}, {20, 110, 2}, {7, 50, 1}, {3, 40, 2}, {30, 200, 1}, {41, 210, 2}};
    static const nw_trend_group_t one_stratum[] = {
        {83, 86, 0}, {90, 93, 1}, {129, 136, 2}, {70, 82, 4}};
    static const struct {
        const nw_trend_group_t *g;
        size_t strata, k, used;
        double z, p;
        const char *what;
    } rows[] = {
        {confounded, 3, 6, 3, -0.076878836095224029, 0.93871993405935983, "confounded"},
        {rising, 2, 6, 2, 5.9515499751123038, 2.6561488882343999e-09, "rising"},
        {sparse, 5, 3, 2, 0.21124577008462778, 0.83269549714474755, "sparse"},
        {two_groups, 3, 2, 3, 1.3197692080090719, 0.18691208518919528, "two groups (CMH)"},
        {one_stratum, 1, 4, 1, -3.229943747517829, 0.0012381457630905846, "one stratum"},
    };
    for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
        nw_mantel_trend_t m = stats_mantel_trend(rows[i].g, rows[i].strata, rows[i].k);
        assert_true(m.trend.defined);
        assert_int_equal(m.strata_used, rows[i].used);
        check_rel(m.trend.z, rows[i].z, 1e-12, "z", rows[i].what);
        check_rel(m.trend.chi2, rows[i].z * rows[i].z, 1e-12, "chi2", rows[i].what);
        check_rel(m.trend.p, rows[i].p, 1e-12, "p", rows[i].what);
    }
    /* The same confounded data pooled over the strata: a clear trend
     * (prop.trend.test: chi2 6.2989633981941804, p 0.012080859679590087). */
    nw_trend_group_t pooled[6];
    for (int k = 0; k < 6; k++) {
        pooled[k] = (nw_trend_group_t){0, 0, k + 1};
        for (int h = 0; h < 3; h++) {
            pooled[k].cases += confounded[h * 6 + k].cases;
            pooled[k].n += confounded[h * 6 + k].n;
        }
    }
    nw_trend_t t = stats_cochran_armitage(pooled, 6);
    check_rel(t.chi2, 6.2989633981941804, RTOL, "chi2", "confounded, pooled");
    check_rel(t.p, 0.012080859679590087, RTOL, "p", "confounded, pooled");
}

static void test_mantel_trend_undefined(void **state)
{
    (void)state;
    static const nw_trend_group_t nothing[] = {{0, 10, 1}, {0, 10, 2}, {1, 1, 1}, {0, 0, 2}};
    static const nw_trend_group_t impossible[] = {{1, 10, 1}, {5, 10, 2}, {11, 10, 1}, {0, 1, 2}};
    static const nw_trend_group_t nan_score[] = {{1, 10, 1}, {5, 10, NAN}};
    static const struct {
        const nw_trend_group_t *g;
        size_t strata, k;
    } rows[] = {{NULL, 0, 0}, {NULL, 1, 2}, {nothing, 2, 2}, {impossible, 2, 2}, {nan_score, 1, 2}};
    for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
        nw_mantel_trend_t m = stats_mantel_trend(rows[i].g, rows[i].strata, rows[i].k);
        assert_false(m.trend.defined);
        assert_true(isnan(m.trend.z) && isnan(m.trend.p));
        assert_int_equal(m.strata_used, 0);
    }
}

/* -------------------------------------------------------------- EARS C2 */

/* A weekly series; indices below are 0-based (R's are these + 1). */
static const long ears_series[] = {3, 5, 2, 4, 6, 3, 4, 5, 2, 3, 4, 12, 3,
                                   5, 0, 0, 0, 0, 0, 0, 0, 1, 0, 2, 9};

static void test_ears_c2_default(void **state)
{
    (void)state;
    /* Source: R 4.2.2, surveillance 1.20.3:
     *   x <- c(3,5,2,4,6,3,4,5,2,3,4,12,3,5,0,0,0,0,0,0,0,1,0,2,9)
     *   r <- earsC(sts(observed = matrix(x, ncol = 1)),
     *              control = list(method = "C2"))
     *   upperbound(r); r@alarm      # r@control$range is 10:25 (1-based) */
    static const struct {
        size_t t;
        double upperbound;
        bool alarm;
    } rows[] = {
        {9, 8.0140782944638875, false},  {10, 8.299792580178174, false},
        {11, 8.3373550832012775, true},  {12, 8.0140782944638875, false},
        {13, 8.0140782944638875, false}, {14, 15.073754414202448, false},
        {15, 15.073754414202448, false}, {16, 15.172622106964408, false},
        {17, 15.900446089594613, false}, {18, 16.400665857185931, false},
        {19, 16.762860312923657, false}, {20, 16.726350963889548, false},
        {21, 7.4327190023033651, false}, {22, 6.5542758396697467, false},
        {23, 0.0, true}, /* flat all-zero reference: sd 0, alarm on 2 > 0 */
        {24, 1.3108551679339491, true},
    };
    size_t len = ARRAY_LEN(ears_series);
    for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
        nw_ears_t e = stats_ears_c2(ears_series, len, rows[i].t, NW_EARS_C2_DEFAULTS);
        assert_true(e.defined);
        check_rel(e.upperbound, rows[i].upperbound, RTOL, "upperbound", "surveillance earsC C2");
        if (e.alarm != rows[i].alarm)
            fail_msg("t=%zu: alarm %d, want %d", rows[i].t, e.alarm, rows[i].alarm);
        /* R: qnorm(1 - 0.001) */
        check_rel(e.threshold, 3.0902323061678132, RTOL, "threshold", "R qnorm(0.999)");
    }

    /* The parts of one row. Source: R 4.2.2, ref <- x[(12-9):(12-3)];
     * mean(ref); sd(ref); (x[12] - mean(ref)) / sd(ref). */
    nw_ears_t e = stats_ears_c2(ears_series, len, 11, NW_EARS_C2_DEFAULTS);
    check_rel(e.observed, 12.0, 0.0, "observed", "series");
    check_rel(e.mean, 3.7142857142857144, RTOL, "mean", "R mean");
    check_rel(e.sd, 1.4960264830861913, RTOL, "sd", "R sd");
    check_rel(e.sigma, e.sd, 0.0, "sigma", "min_sigma 0");
    check_rel(e.statistic, 5.5384810224893029, RTOL, "statistic", "R by hand");
    /* Same for t = 24 (1-based 25): reference 0,0,0,0,0,0,1. */
    e = stats_ears_c2(ears_series, len, 24, NW_EARS_C2_DEFAULTS);
    check_rel(e.mean, 0.14285714285714285, RTOL, "mean", "R mean");
    check_rel(e.sd, 0.3779644730092272, RTOL, "sd", "R sd");
    check_rel(e.statistic, 23.43379732657209, RTOL, "statistic", "R by hand");

    /* Flat reference: sigma 0, statistic undefined (NaN), alarm as R's. */
    e = stats_ears_c2(ears_series, len, 23, NW_EARS_C2_DEFAULTS);
    assert_true(e.defined && e.alarm);
    assert_true(e.sigma == 0.0 && isnan(e.statistic));

    /* The alarm is strict: observed == upperbound raises none. Source:
     * R 4.2.2, surveillance 1.20.3, earsC(sts(observed = matrix(x, ncol=1)),
     * control = list(method = "C2")) with x <- rep(2, 10) gives upperbound 2
     * and alarm FALSE; with x <- c(rep(2, 9), 3), upperbound 2, alarm TRUE. */
    static const long flat[] = {2, 2, 2, 2, 2, 2, 2, 2, 2, 2};
    static const long flat_up[] = {2, 2, 2, 2, 2, 2, 2, 2, 2, 3};
    e = stats_ears_c2(flat, ARRAY_LEN(flat), 9, NW_EARS_C2_DEFAULTS);
    assert_true(e.defined && !e.alarm && e.upperbound == 2.0);
    e = stats_ears_c2(flat_up, ARRAY_LEN(flat_up), 9, NW_EARS_C2_DEFAULTS);
    assert_true(e.defined && e.alarm && e.upperbound == 2.0);
}

static void test_ears_c2_params(void **state)
{
    (void)state;
    /* Source: R 4.2.2, surveillance 1.20.3, same x as above:
     *   earsC(sts(observed = matrix(x, ncol = 1)), control = list(
     *         method = "C2", minSigma = 1, baseline = 5, alpha = 0.05))
     * (range 8:25, 1-based). */
    static const struct {
        size_t t;
        double upperbound;
        bool alarm;
    } rows[] = {
        {7, 6.6007419393777855, false},  {8, 6.6007419393777855, false},
        {9, 6.2397121959382638, false},  {10, 6.275421683335253, false},
        {11, 6.6007419393777855, true},  {12, 5.275421683335253, false},
        {13, 5.4754216833352531, false}, {14, 11.717440619545219, false},
        {15, 11.521798545284838, false}, {16, 11.620070047319755, false},
        {17, 12.100630523843787, false}, {18, 12.141610075736713, false},
        {19, 5.3867374224661617, false}, {20, 4.6780045229005704, false},
        {21, 1.6448536269514715, false}, /* sd 0 < minSigma 1: mean 0 + z */
        {22, 1.6448536269514715, false}, {23, 1.6448536269514715, true},
        {24, 1.8448536269514715, true},
    };
    nw_ears_params_t params = {5, 0.05, 1.0};
    size_t len = ARRAY_LEN(ears_series);
    for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
        nw_ears_t e = stats_ears_c2(ears_series, len, rows[i].t, params);
        assert_true(e.defined);
        check_rel(e.upperbound, rows[i].upperbound, RTOL, "upperbound", "earsC minSigma");
        if (e.alarm != rows[i].alarm)
            fail_msg("t=%zu: alarm %d, want %d", rows[i].t, e.alarm, rows[i].alarm);
    }
    /* min_sigma lifts sigma and so defines the statistic on a flat baseline:
     * t = 22, reference all 0, observed 0, sigma = 1 -> statistic 0. */
    nw_ears_t e = stats_ears_c2(ears_series, len, 22, params);
    check_rel(e.sigma, 1.0, 0.0, "sigma", "min_sigma");
    check_rel(e.statistic, 0.0, 0.0, "statistic", "min_sigma");

    /* The CDC's fixed threshold 3: alpha = pnorm(3, lower.tail = FALSE).
     * Source: R 4.2.2, surveillance 1.20.3, earsC(..., control = list(
     * method = "C2", alpha = pnorm(3, lower.tail = FALSE))). */
    nw_ears_params_t cdc = {7, 0.0013498980316300946, 0.0};
    e = stats_ears_c2(ears_series, len, 11, cdc);
    check_rel(e.threshold, 3.0, 1e-12, "threshold", "qnorm(1 - pnorm(3, lower=F))");
    check_rel(e.upperbound, 8.2023651635442842, RTOL, "upperbound", "earsC CDC 3");
    assert_true(e.alarm);
    e = stats_ears_c2(ears_series, len, 24, cdc);
    check_rel(e.upperbound, 1.2767505618848232, RTOL, "upperbound", "earsC CDC 3");
    assert_true(e.alarm);
}

static void test_ears_c2_undefined(void **state)
{
    (void)state;
    size_t len = ARRAY_LEN(ears_series);
    nw_ears_params_t d = NW_EARS_C2_DEFAULTS;
    static const long negative[] = {1, 1, 1, -1, 1, 1, 1, 1, 1, 1};
    const struct {
        const long *series;
        size_t len, t;
        nw_ears_params_t params;
        const char *what;
    } rows[] = {
        {ears_series, len, 8, d, "t < baseline + 2: too little history"},
        {ears_series, len, 0, d, "t == 0"},
        {ears_series, len, len, d, "t == len"},
        {ears_series, 0, 0, d, "empty series"},
        {NULL, 10, 9, d, "NULL series"},
        {ears_series, len, 12, {2, 0.001, 0.0}, "baseline < 3, as earsC"},
        {ears_series, len, 12, {7, 0.0, 0.0}, "alpha == 0"},
        {ears_series, len, 12, {7, 1.0, 0.0}, "alpha == 1"},
        {ears_series, len, 12, {7, NAN, 0.0}, "alpha NaN"},
        {ears_series, len, 12, {7, 0.001, -1.0}, "min_sigma < 0"},
        {ears_series, len, 12, {7, 0.001, INFINITY}, "min_sigma inf"},
        {negative, 10, 9, d, "negative count in reference"},
    };
    for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
        nw_ears_t e = stats_ears_c2(rows[i].series, rows[i].len, rows[i].t, rows[i].params);
        if (e.defined)
            fail_msg("[%s]: defined, want undefined", rows[i].what);
        assert_false(e.alarm);
        assert_true(isnan(e.upperbound) && isnan(e.statistic));
    }
    /* The first evaluable period with baseline 3 is t = 5. */
    nw_ears_params_t b3 = {3, 0.001, 0.0};
    assert_true(stats_ears_c2(ears_series, len, 5, b3).defined);
    assert_false(stats_ears_c2(ears_series, len, 4, b3).defined);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_norm_quantile),
        cmocka_unit_test(test_norm_cdf),
        cmocka_unit_test(test_wilson_published),
        cmocka_unit_test(test_wilson_computed),
        cmocka_unit_test(test_wilson_undefined),
        cmocka_unit_test(test_risk_ratio),
        cmocka_unit_test(test_risk_ratio_undefined),
        cmocka_unit_test(test_mh_published_data),
        cmocka_unit_test(test_mh_one_stratum_is_crude),
        cmocka_unit_test(test_mh_edges),
        cmocka_unit_test(test_prr_ror),
        cmocka_unit_test(test_prr_ror_undefined),
        cmocka_unit_test(test_chi2_yates),
        cmocka_unit_test(test_evans_signal),
        cmocka_unit_test(test_cochran_armitage),
        cmocka_unit_test(test_cochran_armitage_undefined),
        cmocka_unit_test(test_mantel_trend),
        cmocka_unit_test(test_mantel_trend_undefined),
        cmocka_unit_test(test_ears_c2_default),
        cmocka_unit_test(test_ears_c2_params),
        cmocka_unit_test(test_ears_c2_undefined),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
