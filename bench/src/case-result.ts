import type { ContenderName } from './contender.js';
import type { Measurement } from './measurement.js';
import type { Scenario } from './scenarios.js';

export interface CaseResult {
  scenario: Scenario;
  contender: ContenderName;
  measurement: Measurement;
}
