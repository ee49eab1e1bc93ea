import { describe, expect, it } from 'vitest';
import { parseAnswer, sampleValue } from './parse.js';

describe('sampleValue', () => {
  it('reads the API spelling of numbers, infinities and NaN', () => {
    expect(sampleValue('1.5e3')).toBe(1500);
    expect(sampleValue('+Inf')).toBe(Infinity);
    expect(sampleValue('-Inf')).toBe(-Infinity);
    expect(sampleValue('NaN')).toBeNaN();
    expect(sampleValue('')).toBeNaN();
    expect(sampleValue(3)).toBeNaN();
  });
});

describe('parseAnswer', () => {
  it('gives the error type and message of an error answer', () => {
    expect(
      parseAnswer(
        422,
        {
          status: 'error',
          errorType: 'execution',
          error: 'query timed out in expression evaluation',
        },
        false,
      ),
    ).toEqual({
      ok: false,
      error: 'Prometheus (HTTP 422): execution: query timed out in expression evaluation',
      outputs: {
        status: 422,
        result_type: null,
        value: null,
        count: 0,
        warnings: [],
        samples: [],
        series: [],
      },
    });
  });

  it('refuses what is not the API', () => {
    expect(parseAnswer(200, undefined, true)).toEqual({
      ok: false,
      error: 'not an answer of the Prometheus HTTP API (HTTP 200)',
      outputs: { status: 200, result_type: null, value: null, count: 0, warnings: [], series: [] },
    });
  });

  it('keeps warnings, and gives no value for an empty vector or a string', () => {
    const empty = parseAnswer(
      200,
      { status: 'success', warnings: ['partial'], data: { resultType: 'vector', result: [] } },
      false,
    );
    expect(empty).toMatchObject({
      ok: true,
      outputs: { value: null, count: 0, warnings: ['partial'] },
    });
    const text = parseAnswer(
      200,
      { status: 'success', data: { resultType: 'string', result: [1700000000, 'hello'] } },
      false,
    );
    expect(text).toMatchObject({
      ok: true,
      outputs: { result_type: 'string', value: null, count: 0 },
    });
  });

  it('gives a range of one series of one point as its value', () => {
    const answer = {
      status: 'success',
      data: {
        resultType: 'matrix',
        result: [{ metric: { job: 'api' }, values: [[1700000000.5, '+Inf']] }],
      },
    };
    expect(parseAnswer(200, answer, true)).toEqual({
      ok: true,
      outputs: {
        status: 200,
        result_type: 'matrix',
        value: Infinity,
        count: 1,
        warnings: [],
        series: [{ labels: { job: 'api' }, values: [[1700000000.5, Infinity]] }],
      },
    });
  });
});
