import '../local-runtime/local-environment';
// Adds aws-sdk-client-mock matchers such as toReceiveCommandWith to every test file.
import 'aws-sdk-client-mock-jest';
