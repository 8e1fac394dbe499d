// Value trees from DTO classes: class-validator/class-transformer property metadata, design:type,
// arrays as []Elem, go-micro's depth limit of 3, and types that describe nothing.
import 'reflect-metadata';
import { Expose, Type } from 'class-transformer';
import { IsBoolean, IsInt, IsOptional, IsString, ValidateNested } from 'class-validator';
import { describe, expect, it } from 'vitest';
import { valueFromType } from '../../../lib/nest/server/endpoint-values.js';

class Level3 {
  @IsString() deepest!: string;
}
class Level2 {
  @IsString() label!: string;
  @ValidateNested() @Type(() => Level3) next!: Level3;
}
class Address {
  @IsString() street!: string;
  @IsInt() number!: number;
  @ValidateNested() @Type(() => Level2) more!: Level2;
}
class Tag {
  @IsString() key!: string;
}
class HelloRequest {
  @IsString() name!: string;
  @IsOptional() @IsInt() age?: number;
  @IsBoolean() polite!: boolean;
  @IsString({ each: true }) nicknames!: string[];
  @ValidateNested({ each: true }) @Type(() => Tag) tags!: Tag[];
  @ValidateNested() @Type(() => Address) address!: Address;
  @Expose() note!: string;
}
class Child extends HelloRequest {
  @IsString() extra!: string;
}

describe('valueFromType', () => {
  it('builds the tree from validator and transformer metadata', () => {
    const value = valueFromType(HelloRequest);
    expect(value?.name).toBe('HelloRequest');
    expect(value?.type).toBe('HelloRequest');
    const fields = Object.fromEntries((value?.values ?? []).map((v) => [v.name, v.type]));
    expect(fields).toEqual({
      name: 'string',
      age: 'int64',
      polite: 'bool',
      nicknames: '[]string',
      tags: '[]Tag',
      address: 'Address',
      note: 'string',
    });
  });

  it('stops at depth 3 like go-micro', () => {
    const address = valueFromType(HelloRequest)?.values?.find((v) => v.name === 'address');
    expect(address?.values?.map((v) => v.name)).toEqual(['street', 'number', 'more']);
    const more = address?.values?.find((v) => v.name === 'more');
    expect(more).toEqual({ name: 'more', type: 'Level2' }); // its fields would be depth 3
  });

  it('includes inherited properties and honours a given name', () => {
    const value = valueFromType(Child, 'request');
    expect(value?.name).toBe('request');
    expect(value?.values?.map((v) => v.name)).toContain('extra');
    expect(value?.values?.map((v) => v.name)).toContain('name');
  });

  it('handles primitives, plain classes and types that describe nothing', () => {
    expect(valueFromType(String)).toEqual({ name: 'string', type: 'string' });
    expect(valueFromType(Array, 'items')).toEqual({ name: 'items', type: '[]any' });
    // oxlint-disable-next-line typescript/no-extraneous-class -- a class without metadata on purpose
    class Plain {}
    expect(valueFromType(Plain)).toEqual({ name: 'Plain', type: 'Plain' });
    expect(valueFromType(Object)).toBeUndefined();
    expect(valueFromType(undefined)).toBeUndefined();
    expect(valueFromType(Promise)).toBeUndefined();
  });
});
