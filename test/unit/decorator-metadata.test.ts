import 'reflect-metadata';
import { describe, expect, it } from 'vitest';

function Mark(): MethodDecorator {
  return () => {};
}
class Dto {
  name!: string;
}
class Subject {
  @Mark()
  method(_dto: Dto): void {}
}

describe('test toolchain', () => {
  it('emits design:paramtypes for decorated methods', () => {
    expect(Reflect.getMetadata('design:paramtypes', Subject.prototype, 'method')).toEqual([Dto]);
  });
});
