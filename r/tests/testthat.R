library(testthat)
library(endotrial)

test_check("endotrial")
