#!/usr/bin/env node
const cdk = require('aws-cdk-lib');
const { HelloStack } = require('../lib/hello-stack');

const app = new cdk.App();
new HelloStack(app, 'HelloRust');
app.synth();
