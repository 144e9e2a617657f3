// danfojs-node only needs the tfjs API; give it the one @tensorflow/tfjs instance the project uses.
module.exports = require("@tensorflow/tfjs");
