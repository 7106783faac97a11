const cdk = require('aws-cdk-lib');
const lambda = require('aws-cdk-lib/aws-lambda');
const rust = require('cdk-lambda-rust');

class HelloStack extends cdk.Stack {
  constructor(scope, id, props) {
    super(scope, id, props);
    // The crate lives next to this file, in `hello-stack.greeter/`.
    const greeter = new rust.RustFunction(this, 'greeter', {
      architecture: lambda.Architecture.X86_64,
      memorySize: 128,
      timeout: cdk.Duration.seconds(5),
    });
    new cdk.CfnOutput(this, 'GreeterName', { value: greeter.functionName });
  }
}

module.exports = { HelloStack };
