// One bundle for node's test runner: every unit test of the app.
import './feed.test';
import './fields.test';
import './trace.test';
