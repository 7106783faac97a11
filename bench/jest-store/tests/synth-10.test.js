// One of 10 identical test files: each synthesizes the 10-function app into
// its own fresh output folder, as a snapshot test does (see ../case.js).
require('../case')(__filename);
