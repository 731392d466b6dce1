# peers.R - the R peers of the alert benchmark (bench/ALERTS.md), run on the
# same series as needlewatch: R surveillance's EARS C2 on the counts,
# farringtonFlexible (Noufaily et al. 2013 settings) on the counts and with
# the treatments as population offset, and glrpois with the treatments as
# offset (mu0 = the series' rate over the weeks before the judged period x
# the week's treatments) for a grid of thresholds c.ARL.
#
# Usage: Rscript peers.R OUT.tsv POPULATION.csv...   (from nwalerts gen)
# EARS C2 alarms need 3 cases in the week, as needlewatch applies C2 today.
# Writes one row per judged series-week where a method alarms or its
# statistic is in the tail (kept for calibration): method, scenario, seed,
# series, week (0-based, as nwalerts), alarm, stat. stat is the C2
# z-statistic, the Farrington p-value, or NA (glrpois: one method per
# c.ARL, "glrpois_5" ...). A series where a method fails (a week with no
# treatment makes log(population) infinite) contributes no rows for it and
# is counted in the "failed" rows (method, scenario, seed, series, -1, NA).
suppressPackageStartupMessages(library(surveillance))

args <- commandArgs(trailingOnly = TRUE)
out <- args[1]
files <- args[-1]
judged <- 61:104                       # 1-based: weeks 60..103
glr_grid <- c(4, 5, 6, 7, 8, 10, 12, 15, 20, 25, 30)
alpha <- 0.001

# b = 1 (two years of data, the judged weeks need one year back): R keeps a
# trend only when b >= 3 (algo.farrington.glm), so trend = FALSE gives the
# same thresholds and saves half the fits.
noufaily <- function(offset) list(range = judged, b = 1, w = 3, noPeriods = 10,
    pastWeeksNotIncluded = 26, weightsThreshold = 2.58, pThresholdTrend = 1, trend = FALSE,
    thresholdMethod = "nbPlugin", alpha = alpha, glmWarnings = FALSE,
    populationOffset = offset)

rows <- list()
emit <- function(method, scen, seed, series, week, alarm, stat) {
    rows[[length(rows) + 1]] <<- data.frame(method = method, scenario = scen, seed = seed,
        series = series, week = week, alarm = as.integer(alarm), stat = stat)
}

for (f in files) {
    base <- sub("\\.csv$", "", basename(f))
    scen <- sub("-[0-9]+$", "", base)
    seed <- as.integer(sub("^.*-", "", base))
    d <- read.csv(f)
    d <- d[order(d$series, d$week), ]
    only <- Sys.getenv("NW_PEERS_SERIES")    # quick mode: a few series only
    todo <- sort(unique(d$series))
    if (nzchar(only)) todo <- intersect(todo, as.integer(strsplit(only, ",")[[1]]))
    for (s in todo) {
        emit("done", scen, seed, s, -2, NA, NA)   # this series was judged
        x <- d[d$series == s, ]
        y <- x$cases
        n <- x$treatments
        wk <- judged - 1
        # EARS C2 on counts (surveillance), and its z statistic for calibration.
        st <- sts(observed = matrix(y, ncol = 1), freq = 52)
        r <- earsC(st, control = list(range = judged, method = "C2", alpha = alpha))
        al <- as.logical(alarms(r)) & y[judged] >= 3   # needlewatch's min_cases rule
        z <- sapply(judged, function(t) {
            ref <- y[(t - 9):(t - 3)]
            if (sd(ref) > 0) (y[t] - mean(ref)) / sd(ref) else if (y[t] > mean(ref)) Inf else -Inf
        })
        keep <- al | (z > 2 & y[judged] >= 3)
        if (any(keep)) emit("ears_c2", scen, seed, s, wk[keep], al[keep], z[keep])
        # farringtonFlexible, counts and offset.
        for (off in c(FALSE, TRUE)) {
            m <- if (off) "farrington_offset" else "farrington_counts"
            st2 <- sts(observed = matrix(y, ncol = 1), population = matrix(n, ncol = 1), freq = 52)
            res <- try(farringtonFlexible(st2, control = noufaily(off)), silent = TRUE)
            if (inherits(res, "try-error")) {
                emit(m, scen, seed, s, -1, NA, NA)
                next
            }
            al <- as.logical(alarms(res))
            al[is.na(al)] <- FALSE
            p <- as.numeric(res@control$pvalue)
            keep <- al | (!is.na(p) & p <= 0.01)
            if (any(keep)) emit(m, scen, seed, s, wk[keep], al[keep], p[keep])
        }
        # glrpois with the treatments as offset: the rate of weeks 1..60.
        rate <- sum(y[1:60]) / sum(n[1:60])
        mu0 <- rate * n[judged]
        if (rate > 0 && all(mu0 > 0)) {
            for (h in glr_grid) {
                g <- glrpois(st, control = list(range = judged, mu0 = mu0, c.ARL = h,
                                                 ret = "value", dir = "inc"))
                al <- as.logical(alarms(g))
                if (any(al)) emit(paste0("glrpois_", h), scen, seed, s, wk[al], TRUE, NA)
            }
        } else {
            for (h in glr_grid) emit(paste0("glrpois_", h), scen, seed, s, -1, NA, NA)
        }
    }
}
res <- if (length(rows)) do.call(rbind, rows) else
    data.frame(method = character(), scenario = character(), seed = integer(),
               series = integer(), week = integer(), alarm = integer(), stat = numeric())
write.table(res, out, sep = "\t", quote = FALSE, row.names = FALSE)
